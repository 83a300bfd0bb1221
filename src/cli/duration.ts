import { UsageError } from '../errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest delay setTimeout honours (2^31-1 ms, about 24.8 days); past it Node waits 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The shortest time between looks any command takes (what serve has always accepted): shorter only burns CPU. */
export const MIN_INTERVAL_MS = 100;

export interface DurationLimits {
  /** Accept 0 (a bare `0` needs no unit). */
  allowZero?: boolean;
  /** Refuse anything shorter (ms). */
  min?: number;
  /** Refuse anything longer (ms). */
  max?: number;
  /** The value is waited for with a timer: refuse anything past MAX_TIMER_MS. */
  timer?: boolean;
}

/** `24d20h31m23s`: a duration the way the flags take it, to name a limit in an error. */
function spell(ms: number): string {
  let rest = Math.floor(ms / 1000);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0 || out === '') out += ms < 1000 ? `${ms}ms` : `${rest}s`;
  return out;
}

/**
 * Parses `500ms`, `5s`, `1h30m`, `2d` into milliseconds. Every command reads durations through this one function,
 * and a number needs its unit: a bare `250` used to mean seconds to `watch` and milliseconds to `simulate`, so it
 * is refused with the two readings spelled out (only `0` needs none). `flag` names the option in the error.
 */
export function parseDuration(text: string, flag: string, limits: DurationLimits = {}): number {
  const trimmed = text.trim();
  let total: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    if (Number(trimmed) !== 0)
      throw new UsageError(`${flag}: '${text}' needs a unit (${trimmed}ms or ${trimmed}s)`);
    total = 0;
  } else {
    const parts = trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|min|s|m|h|d)/g);
    total = 0;
    let consumed = 0;
    for (const [whole, value, unit] of parts) {
      total += Number(value) * UNITS[unit!]!;
      consumed += whole.length;
    }
    if (consumed === 0 || consumed !== trimmed.length) {
      throw new UsageError(`${flag}: '${text}' is not a duration (use e.g. 500ms, 5s, 10m, 1h30m, 7d)`);
    }
  }
  total = Math.round(total);
  if (limits.min !== undefined && total < limits.min) {
    throw new UsageError(`${flag}: '${text}' is shorter than ${spell(limits.min)}`);
  }
  if (total === 0 && !limits.allowZero) throw new UsageError(`${flag}: '${text}' must be longer than 0`);
  const max = Math.min(
    limits.max ?? Number.POSITIVE_INFINITY,
    limits.timer ? MAX_TIMER_MS : Number.POSITIVE_INFINITY,
  );
  if (total > max) {
    throw new UsageError(
      max === MAX_TIMER_MS
        ? `${flag}: '${text}' is longer than a timer can wait (${spell(MAX_TIMER_MS)})`
        : `${flag}: '${text}' is longer than ${spell(max)}`,
    );
  }
  return total;
}
