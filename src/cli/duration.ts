import { UsageError } from '../errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses `500ms`, `5s`, `1h30m`, `2d`, or a bare number of seconds, into milliseconds. `flag` names the option
 * in the error so the user sees which value was wrong.
 */
export function parseDuration(text: string, flag: string, options: { allowZero?: boolean } = {}): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|min|s|m|h|d)/g);
  let total = 0;
  let consumed = 0;
  for (const [whole, value, unit] of parts) {
    total += Number(value) * UNITS[unit!]!;
    consumed += whole.length;
  }
  if (consumed === 0 || consumed !== trimmed.length || !(total > 0 || (options.allowZero && total === 0))) {
    throw new UsageError(`${flag}: '${text}' is not a duration (use e.g. 500ms, 5s, 10m, 1h30m, 7d)`);
  }
  return Math.round(total);
}
