import { ParseError } from '../../errors.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import type { ParseResult } from './collector.ts';
import { decodeInput } from './decode.ts';
import { detectFormat, osOfFormat, type TextFormat } from './detect.ts';
import { parseFastRows } from './fast-rows.ts';
import { parseBsdNetstat } from './parsers/bsd-netstat.ts';
import { parseHistogram } from './parsers/histogram.ts';
import { parseLinuxNetstat } from './parsers/linux-netstat.ts';
import { parseProcText } from './parsers/proc.ts';
import { parseSockstatText } from './parsers/sockstat.ts';
import { parseSolarisNetstat } from './parsers/solaris-netstat.ts';
import { parseSs } from './parsers/ss.ts';
import { parseSummary } from './parsers/summary.ts';
import { parseWindowsNetstat } from './parsers/windows-netstat.ts';

export { decodeInput } from './decode.ts';
export { detectFormat, TEXT_FORMATS, type TextFormat } from './detect.ts';
export { type EndpointStyle, splitEndpoint } from './endpoint.ts';

const PARSERS: Record<TextFormat, (lines: readonly string[]) => ParseResult> = {
  'linux-ss': parseSs,
  'linux-netstat': parseLinuxNetstat,
  'linux-proc': parseProcText,
  'bsd-netstat': parseBsdNetstat,
  'solaris-netstat': parseSolarisNetstat,
  'windows-netstat': parseWindowsNetstat,
  sockstat: parseSockstatText,
  'state-histogram': parseHistogram,
  summary: parseSummary,
};

export interface ParseTextOptions {
  /** Names the input in the snapshot and in errors: a path or `stdin`. */
  name?: string;
  /** Skip detection. */
  format?: TextFormat;
  /** Time the listing was taken; defaults to now. */
  takenAt?: number;
  /** Source kind: `text` for pasted input, `native` when we ran the command live. */
  kind?: 'text' | 'native';
}

/** Splits on LF, CRLF or CR, and drops a trailing empty line. */
export function splitLines(text: string): string[] {
  const lines = text.includes('\r') ? text.split(/\r?\n|\r/) : text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads any supported listing (already decoded) into a Snapshot. Unreadable lines become warnings. */
export function parseText(text: string, options: ParseTextOptions = {}): Snapshot {
  const name = options.name ?? 'text';
  const lines = splitLines(text);
  if (lines.every((l) => l.trim() === ''))
    throw new ParseError('empty input: no lines to read', { source: name });
  const format = options.format ?? detectFormat(lines);
  if (format === undefined)
    throw new ParseError(
      `not a listing tcpstate knows (netstat, ss, sockstat, /proc/net/tcp from Linux, macOS, BSD, Solaris, AIX or Windows); try --format`,
      { source: name },
    );
  const result = PARSERS[format](lines);
  // Detection goes by a few telling lines; when not one row then reads, the input is not this listing, and an
  // empty snapshot with "nothing looks wrong" would mislead.
  if (result.sockets.length === 0 && result.kernel === undefined && result.warnings.length > 0)
    throw new ParseError(
      `read as ${format} output, but none of its ${lines.length} lines is a socket row (this is the first that is not); if it is a listing, name its format with --format`,
      { source: name, ...(result.warnings[0]!.line === undefined ? {} : { line: result.warnings[0]!.line }) },
    );
  const os = result.os ?? osOfFormat(format);
  const snapshot: Snapshot = {
    source: { kind: options.kind ?? 'text', name, format, ...(os === undefined ? {} : { os }) },
    takenAt: options.takenAt ?? Date.now(),
    sockets: result.sockets,
    warnings: result.warnings,
    skipped: result.skipped,
  };
  if (result.kernel !== undefined) snapshot.kernel = result.kernel;
  if (result.sockets.some((s) => s.processes !== undefined)) snapshot.processesLookedUp = true;
  return snapshot;
}

/** Bytes in any supported encoding → Snapshot. */
export function parseTextBytes(
  bytes: Uint8Array,
  options: ParseTextOptions & { encoding?: string } = {},
): Snapshot {
  const name = options.name ?? 'text';
  if (bytes.length === 0) throw new ParseError('empty input', { source: name });
  const fast = parseFast(bytes, options);
  if (fast !== undefined) return fast;
  const { text } = decodeInput(bytes, name, options.encoding);
  return parseText(text, options);
}

/** Bytes looked at to recognise the format without decoding everything (detection reads up to 400 lines). */
const HEAD_BYTES = 256 * 1024;

/**
 * Plain Linux `ss` and `netstat` listings straight from the bytes (fast-rows.ts); undefined when the input is
 * anything else or has any line the fast reader is not sure of.
 */
function parseFast(
  bytes: Uint8Array,
  options: ParseTextOptions & { encoding?: string },
): Snapshot | undefined {
  if (options.encoding !== undefined && options.encoding.toLowerCase().replace('-', '') !== 'utf8')
    return undefined;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format = options.format;
  if (format === undefined) {
    let headEnd = buf.length;
    if (headEnd > HEAD_BYTES) {
      headEnd = buf.lastIndexOf(10, HEAD_BYTES);
      if (headEnd < 0) return undefined;
    }
    // Bytes outside ASCII (a BOM, UTF-16, a code page) go to the general decoder; so does anything fast-rows
    // would refuse anyway.
    const head = buf.toString('latin1', 0, headEnd);
    if (/[^\t\n\r\x20-\x7e]/.test(head)) return undefined;
    const lines = splitLines(head);
    if (headEnd < buf.length && lines.filter((l) => l.trim() !== '').length < 400) return undefined;
    format = detectFormat(lines);
  }
  if (format !== 'linux-ss' && format !== 'linux-netstat') return undefined;
  const result = parseFastRows(buf, format);
  if (result === undefined || result.sockets.length === 0) return undefined;
  return {
    source: { kind: options.kind ?? 'text', name: options.name ?? 'text', format, os: result.os ?? 'linux' },
    takenAt: options.takenAt ?? Date.now(),
    sockets: result.sockets,
    warnings: result.warnings,
    skipped: result.skipped,
  };
}
