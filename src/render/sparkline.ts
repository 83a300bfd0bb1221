import { maxOf, minOf } from '../internal/extent.ts';

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A one-line chart of the last `width` values, scaled from `min` (default: the smallest value, or 0 when all are
 * non-negative and the series is flat) to its maximum. An empty or all-zero series draws as a flat baseline.
 */
export function sparkline(values: readonly number[], width = values.length): string {
  const shown = values.slice(-width);
  if (shown.length === 0) return '';
  const max = maxOf(shown);
  const min = Math.min(0, minOf(shown));
  const span = max - min;
  return shown
    .map((v) =>
      span === 0
        ? BARS[0]!
        : BARS[Math.min(BARS.length - 1, Math.round(((v - min) / span) * (BARS.length - 1)))]!,
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
