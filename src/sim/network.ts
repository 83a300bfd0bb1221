/**
 * Network rules for the simulator: which segments are dropped, duplicated or delayed. Rules are parsed from the
 * CLI syntax (`A->B #3`, `A->B FIN`, `B->A SYN+ACK #2`, `A->B *`) and applied deterministically; random loss uses
 * a seeded PRNG so a seed reproduces a run exactly.
 */
import { UsageError } from '../errors.ts';
import type { Segment } from '../fsm/types.ts';

export type EndpointName = 'A' | 'B';

export interface SegmentMatcher {
  from: EndpointName;
  /** Flag names the segment must carry exactly (e.g. ['SYN','ACK']); empty = any segment. */
  flags: string[];
  /** The nth matching segment in that direction (1-based); null = every matching segment. */
  nth: number | null;
  text: string;
}

export interface NetworkRules {
  /** One-way delay in ms (default 10). */
  delay: number;
  drop: SegmentMatcher[];
  duplicate: SegmentMatcher[];
  /** Segments held back by `reorderBy` ms so that later ones overtake them. */
  reorder: SegmentMatcher[];
  reorderBy: number;
  /** Random loss probability 0..1. */
  loss: number;
  seed: number;
}

export function defaultRules(): NetworkRules {
  return { delay: 10, drop: [], duplicate: [], reorder: [], reorderBy: 30, loss: 0, seed: 1 };
}

const FLAG_WORDS = new Set(['SYN', 'ACK', 'FIN', 'RST', 'DATA']);

/** Parse `A->B #3`, `A->B FIN`, `B->A SYN+ACK #2`, `A->B *`. */
export function parseMatcher(text: string, option = '--drop'): SegmentMatcher {
  const m = /^\s*([AB])\s*->\s*([AB])\s*(.*)$/i.exec(text);
  if (!m || m[1]?.toUpperCase() === m[2]?.toUpperCase())
    throw new UsageError(`${option} '${text}': expected 'A->B' or 'B->A' followed by flags and/or #N`);
  const from = m[1]?.toUpperCase() as EndpointName;
  let nth: number | null = 1;
  const flagsOut: string[] = [];
  const rest = (m[3] ?? '').trim();
  let anyCount = false;
  for (const word of rest.split(/\s+/).filter(Boolean)) {
    if (word === '*') anyCount = true;
    else if (/^#\d+$/.test(word)) nth = Number(word.slice(1));
    else {
      for (const f of word.toUpperCase().split(/[+,/]/)) {
        if (!FLAG_WORDS.has(f))
          throw new UsageError(
            `${option} '${text}': unknown flag '${f}' (use SYN, ACK, FIN, RST, DATA, #N or *)`,
          );
        flagsOut.push(f);
      }
    }
  }
  if (anyCount) nth = null;
  if (nth !== null && nth < 1) throw new UsageError(`${option} '${text}': #N counts from 1`);
  return { from, flags: flagsOut, nth, text: text.trim() };
}

/** Flag words of a segment, in the conventional order. */
export function segmentFlagWords(seg: Segment): string[] {
  const out: string[] = [];
  if (seg.flags.syn) out.push('SYN');
  if (seg.flags.fin) out.push('FIN');
  if (seg.flags.rst) out.push('RST');
  if (seg.flags.ack) out.push('ACK');
  return out;
}

/** Whether the segment's flags satisfy the matcher: every named flag present; `SYN` alone excludes SYN+ACK. */
function flagsMatch(m: SegmentMatcher, seg: Segment): boolean {
  if (m.flags.length === 0) return true;
  const words = new Set(segmentFlagWords(seg));
  if (seg.len > 0) words.add('DATA');
  for (const f of m.flags) if (!words.has(f)) return false;
  // A bare `SYN` means the SYN, not the SYN-ACK; a bare `ACK` means a pure ACK.
  if (m.flags.length === 1 && m.flags[0] === 'SYN' && words.has('ACK')) return false;
  if (m.flags.length === 1 && m.flags[0] === 'ACK' && words.size > 1) return false;
  return true;
}

/** Counts matches per rule so `#N` picks the Nth matching segment in its direction. */
export class RuleCounter {
  private readonly counts = new Map<SegmentMatcher, number>();

  matches(m: SegmentMatcher, from: EndpointName, seg: Segment): boolean {
    if (m.from !== from || !flagsMatch(m, seg)) return false;
    const n = (this.counts.get(m) ?? 0) + 1;
    this.counts.set(m, n);
    return m.nth === null || m.nth === n;
  }
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG, deterministic for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function parsePercent(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || n > 100) throw new UsageError(`${option} '${text}': expected a percentage 0-100`);
  return n / 100;
}
