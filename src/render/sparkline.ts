import { maxOf, minOf } from '../internal/extent.ts';

const BARS = '▁▂▃▄▅▆▇█';

export interface SparklineOptions {
  /** Draw a zero as a blank instead of the lowest bar, so "none" and "a few" look different (capture timelines). */
  blankZero?: boolean;
}

/**
 * The one sparkline (watch, report, pcap --timeline): a one-line chart of the last `width` values, scaled from 0
 * (or the smallest value, when one is negative) to the largest. An empty or all-zero series draws as a flat
 * baseline, or blank with `blankZero`. Use `resample` first to fit a longer series into `width` keeping its peaks.
 */
export function sparkline(
  values: readonly number[],
  width = values.length,
  options: SparklineOptions = {},
): string {
  const shown = values.slice(-width);
  if (shown.length === 0) return '';
  const max = maxOf(shown);
  const min = Math.min(0, minOf(shown));
  const span = max - min;
  return shown
    .map((v) =>
      options.blankZero && v === 0
        ? ' '
        : span === 0
          ? BARS[0]!
          : // The lowest eighth-block at least as tall as the value: half the maximum draws ▄, not ▅.
            BARS[Math.max(0, Math.min(BARS.length - 1, Math.ceil(((v - min) / span) * BARS.length) - 1))]!,
    )
    .join('');
}

/** Resamples a series to `width` points (the maximum of each slice, so peaks survive). */
export function resample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const a = Math.floor((i * values.length) / width);
    const b = Math.max(a + 1, Math.floor(((i + 1) * values.length) / width));
    out.push(maxOf(values.slice(a, b)));
  }
  return out;
}
