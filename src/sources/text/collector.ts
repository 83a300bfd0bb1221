import type { KernelContext, SkippedCounts, Socket, Warning } from '../../model/snapshot.ts';
import { parseState, type TcpState } from '../../states/states.ts';

/** At most this many warnings are kept; the rest are counted, so garbage input cannot use unbounded memory. */
export const MAX_WARNINGS = 1000;
const MAX_WARNING_TEXT = 160;

export type SkipKind = keyof SkippedCounts;

/** What a parser produces: the TCP sockets, what it skipped, and what it could not read. */
export interface ParseResult {
  sockets: Socket[];
  warnings: Warning[];
  skipped: SkippedCounts;
  /** Operating system the parser recognised, when the format tells. */
  os?: string;
  /** Totals a summary listing (`ss -s`, `netstat -s`) printed instead of sockets. */
  kernel?: KernelContext;
}

/** Gathers sockets, skip counts and (bounded) warnings while a parser walks the lines. */
export class Collector {
  readonly sockets: Socket[] = [];
  readonly warnings: Warning[] = [];
  readonly skipped: SkippedCounts = {};
  private dropped = 0;
  private readonly once = new Set<string>();

  skip(kind: SkipKind): void {
    this.skipped[kind] = (this.skipped[kind] ?? 0) + 1;
  }

  warn(line: number, message: string, text?: string): void {
    if (this.warnings.length >= MAX_WARNINGS) {
      this.dropped++;
      return;
    }
    const warning: Warning = { line, message };
    if (text !== undefined) warning.text = shorten(text);
    this.warnings.push(warning);
  }

  /** A warning about the whole input, given once however many lines cause it. */
  warnOnce(key: string, message: string, line?: number): void {
    if (this.once.has(key)) return;
    this.once.add(key);
    this.warnings.push(line === undefined ? { message } : { line, message });
  }

  result(os?: string): ParseResult {
    if (this.dropped > 0)
      this.warnings.push({
        message: `${this.dropped} more unreadable lines (only the first ${MAX_WARNINGS} are listed)`,
      });
    const result: ParseResult = { sockets: this.sockets, warnings: this.warnings, skipped: this.skipped };
    if (os !== undefined) result.os = os;
    return result;
  }
}

/** Adds one key to a socket's `extra`, creating it when absent. */
export function setExtra(socket: Socket, key: string, value: string | number): void {
  if (socket.extra === undefined) socket.extra = {};
  socket.extra[key] = value;
}

export function shorten(text: string): string {
  const clean = text.replace(
    /[\u0000-\u0008\u000b-\u001f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return clean.length > MAX_WARNING_TEXT ? `${clean.slice(0, MAX_WARNING_TEXT)}…` : clean;
}

const STATE_CACHE = new Map<string, TcpState | null>();

/** `parseState` with a cache: listings repeat a dozen words millions of times. */
export function stateOf(word: string): TcpState | undefined {
  let state = STATE_CACHE.get(word);
  if (state === undefined) {
    state = parseState(word) ?? null;
    if (STATE_CACHE.size < 10_000) STATE_CACHE.set(word, state);
  }
  return state ?? undefined;
}

export interface StateWord {
  state: TcpState | undefined;
  /** The spelling, one shared string for all rows that print it. */
  raw: string;
}
const STATE_WORDS = new Map<string, StateWord>();

/** `stateOf` and `intern` in one lookup, for the hot loops. */
export function stateWord(word: string): StateWord {
  let known = STATE_WORDS.get(word);
  if (known === undefined) {
    known = { state: parseState(word), raw: word };
    if (STATE_WORDS.size < 10_000) STATE_WORDS.set(word, known);
  }
  return known;
}

const WORDS = new Map<string, string>();

/** One shared copy of a word that repeats on every row (a state spelling), so a million sockets keep one string. */
export function intern(word: string): string {
  const known = WORDS.get(word);
  if (known !== undefined) return known;
  if (WORDS.size < 10_000) WORDS.set(word, word);
  return word;
}

/** Splits on runs of spaces and tabs (faster than a regex split on the hot path). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      if (start >= 0) {
        out.push(line.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(line.slice(start));
  return out;
}

/** A non-negative decimal integer, or undefined. */
export function int(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n;
}

/** Lines that are noise in any listing: shell prompts, separators, elisions. */
export function isNoise(trimmed: string): boolean {
  return (
    /^(-{3,}|={3,}|\.{3,}|…)$/.test(trimmed) ||
    /^[-\s]+$/.test(trimmed) ||
    /^(\S*[$#%>](\s|$)|[A-Z]:\\[^>]*>|PS [A-Z]:\\)/.test(trimmed) ||
    /^\(Not all processes could be identified/.test(trimmed) ||
    /^(will not be shown|you would have to be root)/.test(trimmed)
  );
}

/**
 * Finds the whitespace-separated fields of a line without allocating: the hot path reads numbers straight from the
 * line and slices only the fields it keeps. One scanner is reused for every line of a parse.
 */
export class FieldScanner {
  line = '';
  count = 0;
  private readonly starts = new Int32Array(64);
  private readonly ends = new Int32Array(64);

  scan(line: string): number {
    this.line = line;
    let n = 0;
    let start = -1;
    const len = line.length;
    for (let i = 0; i < len; i++) {
      const c = line.charCodeAt(i);
      if (c === 32 || c === 9) {
        if (start >= 0) {
          if (n < 64) {
            this.starts[n] = start;
            this.ends[n] = i;
          }
          n++;
          start = -1;
        }
      } else if (start < 0) start = i;
    }
    if (start >= 0) {
      if (n < 64) {
        this.starts[n] = start;
        this.ends[n] = len;
      }
      n++;
    }
    this.count = n;
    return n;
  }

  text(i: number): string | undefined {
    return i < this.count && i < 64 ? this.line.slice(this.starts[i], this.ends[i]) : undefined;
  }

  /** Field `i` as a non-negative integer, or undefined. */
  int(i: number): number | undefined {
    if (i >= this.count || i >= 64) return undefined;
    const end = this.ends[i]!;
    const start = this.starts[i]!;
    if (end - start > 15) return undefined;
    let n = 0;
    for (let p = start; p < end; p++) {
      const c = this.line.charCodeAt(p) - 48;
      if (c < 0 || c > 9) return undefined;
      n = n * 10 + c;
    }
    return n;
  }

  /** Where field `i` ends in the line (for reading the free-form rest of it). */
  end(i: number): number {
    return i < this.count && i < 64 ? this.ends[i]! : this.line.length;
  }
}

/** Command name of a process the listing names only by PID (Windows -ano, macOS -anv before Tahoe). */
export const UNNAMED = '?';
