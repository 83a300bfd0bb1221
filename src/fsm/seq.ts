/** Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4: "all arithmetic ... must be performed modulo 2**32"). */

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** a - b as a signed distance in sequence space. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** lo <= x < hi in sequence space. */
export function seqInWindow(x: number, lo: number, size: number): boolean {
  const d = seqDiff(x, lo);
  return d >= 0 && d < size;
}
