/**
 * Small dependency-free SVG charts for the HTML report: a time-series area chart with axes, a peak marker and an
 * optional fitted line, and a horizontal histogram. Output is a string of inline SVG.
 */

import { esc } from './svg.ts';

/** Round tick values covering [0, max]: 1, 2 or 5 times a power of ten. */
export function niceTicks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? power * 10;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function timeLabel(at: number, spanMs: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  if (spanMs > 2 * 86_400_000)
    return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  if (spanMs > 10 * 60_000) return `${p(d.getHours())}:${p(d.getMinutes())}`;
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export interface TimeChartOptions {
  width: number;
  height: number;
  color: string;
  /** Mark the highest point with its value. */
  markPeak?: boolean;
  /** A fitted line: count = intercept + slope * minutes since `from`. */
  fit?: { from: number; to: number; startValue: number; endValue: number };
}

export function timeChart(points: ReadonlyArray<[number, number]>, o: TimeChartOptions): string {
  const left = 44;
  const right = 10;
  const top = 12;
  const bottom = 22;
  const w = o.width - left - right;
  const h = o.height - top - bottom;
  if (points.length === 0)
    return `<svg viewBox="0 0 ${o.width} ${o.height}" width="${o.width}" height="${o.height}"></svg>`;
  const t0 = points[0]![0];
  const t1 = Math.max(points[points.length - 1]![0], t0 + 1);
  const maxValue = Math.max(
    1,
    ...points.map(([, v]) => v),
    o.fit ? Math.max(o.fit.startValue, o.fit.endValue) : 0,
  );
  const ticks = niceTicks(maxValue);
  const yMax = ticks[ticks.length - 1]!;
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * w;
  const y = (v: number) => top + h - (v / yMax) * h;
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${o.width} ${o.height}" width="100%" class="chart" role="img">`);
  for (const t of ticks) {
    parts.push(
      `<line x1="${left}" x2="${left + w}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>`,
      `<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" class="axis" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  const xTicks = 4;
  for (let i = 0; i <= xTicks; i++) {
    const t = t0 + ((t1 - t0) * i) / xTicks;
    const anchor = i === 0 ? 'start' : i === xTicks ? 'end' : 'middle';
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${o.height - 6}" class="axis" text-anchor="${anchor}">${timeLabel(t, t1 - t0)}</text>`,
    );
  }
  const line = points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const area = `${line}L${x(points[points.length - 1]![0]).toFixed(1)},${y(0)}L${x(t0).toFixed(1)},${y(0)}Z`;
  parts.push(
    `<path d="${area}" fill="${o.color}" fill-opacity="0.18"/>`,
    `<path d="${line}" fill="none" stroke="${o.color}" stroke-width="2" stroke-linejoin="round"/>`,
  );
  if (o.fit) {
    parts.push(
      `<line x1="${x(o.fit.from).toFixed(1)}" y1="${y(o.fit.startValue).toFixed(1)}" x2="${x(o.fit.to).toFixed(1)}" y2="${y(o.fit.endValue).toFixed(1)}" class="fit"/>`,
    );
  }
  if (o.markPeak) {
    let peak = points[0]!;
    for (const p of points) if (p[1] > peak[1]) peak = p;
    const px = x(peak[0]);
    const anchor = px > left + w * 0.8 ? 'end' : px < left + w * 0.2 ? 'start' : 'middle';
    parts.push(
      `<circle cx="${px.toFixed(1)}" cy="${y(peak[1]).toFixed(1)}" r="3.5" fill="${o.color}"/>`,
      `<text x="${px.toFixed(1)}" y="${Math.max(10, y(peak[1]) - 6).toFixed(1)}" class="peak" text-anchor="${anchor}">${formatTick(Math.round(peak[1]))}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function formatTick(v: number): string {
  if (v >= 1_000_000) return `${(v / 1_000_000).toFixed(v % 1_000_000 ? 1 : 0)}M`;
  if (v >= 10_000) return `${(v / 1000).toFixed(0)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k`;
  return String(Number(v.toFixed(1)));
}

/** Horizontal bars with a label and value per row. */
export function barChart(
  rows: ReadonlyArray<{ label: string; value: number; extra?: number }>,
  o: { width: number; color: string; extraColor?: string },
): string {
  const rowH = 20;
  const labelW = 60;
  const valueW = 56;
  const w = o.width - labelW - valueW;
  const max = Math.max(1, ...rows.map((r) => r.value + (r.extra ?? 0)));
  const height = rows.length * rowH + 4;
  const parts = [`<svg viewBox="0 0 ${o.width} ${height}" width="100%" class="chart" role="img">`];
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    const bw = (r.value / max) * w;
    const ew = ((r.extra ?? 0) / max) * w;
    parts.push(
      `<text x="${labelW - 6}" y="${y + 14}" class="axis" text-anchor="end">${esc(r.label)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${bw.toFixed(1)}" height="${rowH - 6}" rx="2" fill="${o.color}"/>`,
    );
    if (ew > 0) {
      parts.push(
        `<rect x="${(labelW + bw).toFixed(1)}" y="${y + 3}" width="${ew.toFixed(1)}" height="${rowH - 6}" rx="2" fill="${o.extraColor ?? o.color}" fill-opacity="0.45"/>`,
      );
    }
    const total = r.value + (r.extra ?? 0);
    parts.push(
      `<text x="${(labelW + bw + ew + 5).toFixed(1)}" y="${y + 14}" class="axis">${total ? total : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
