/**
 * The largest and smallest of a list, by a loop. `Math.max(...list)` passes every element as an argument and
 * overflows the stack past ~120,000 of them, which a listing of a busy host or a long recording reaches.
 */
export function maxOf(values: Iterable<number>, empty = Number.NEGATIVE_INFINITY): number {
  let max = empty;
  let seen = false;
  for (const v of values) {
    if (!seen || v > max) max = v;
    seen = true;
  }
  return max;
}

export function minOf(values: Iterable<number>, empty = Number.POSITIVE_INFINITY): number {
  let min = empty;
  let seen = false;
  for (const v of values) {
    if (!seen || v < min) min = v;
    seen = true;
  }
  return min;
}
