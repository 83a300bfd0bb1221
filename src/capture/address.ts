import { formatIpv6 } from '../sources/proc/proc-net-tcp.ts';

/** Printable address from the four 32-bit words of a DecodedSegment (IPv4 in word 3). */
export function formatAddress(family: 4 | 6, words: ArrayLike<number>): string {
  if (family === 4) return formatIpv4(words[3]!);
  const bytes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[i]!;
    bytes.push(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  }
  return formatIpv6(bytes);
}

export function formatIpv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
