import { closeSync, openSync, readSync } from 'node:fs';
import type { Family, Socket, Warning } from '../../model/snapshot.ts';
import { ProcNetTcpParser } from './proc-net-tcp.ts';
import { RESERVE as AHEAD_RESERVE, readAhead } from './read-ahead.ts';

export interface ProcTableFile {
  path: string;
  family: Family;
  warnings: Warning[];
}

/**
 * Reads and parses several /proc/net/tcp-format files, the reading done ahead in a helper thread (see
 * read-ahead.ts) while this thread parses. Per file: its sockets, or undefined when the file does not exist.
 * Throws the reader's error (with the path) when a file exists but cannot be read.
 */
export function readProcNetTcpFiles(files: readonly ProcTableFile[]): (Socket[] | undefined)[] {
  const results: (Socket[] | undefined)[] = files.map(() => undefined);
  const parsers = files.map((f) => new ProcNetTcpParser(f.family, f.warnings));
  let carry: Buffer = Buffer.alloc(0);
  for (const event of readAhead(files.map((f) => f.path))) {
    const parser = parsers[event.file]!;
    if (event.kind === 'data') {
      let { buffer: data, start, end } = event;
      if (carry.length <= AHEAD_RESERVE) {
        start -= carry.length;
        carry.copy(data, start);
      } else {
        // A line longer than the reserve (not something the kernel prints): fall back to a copy.
        data = Buffer.concat([carry, data.subarray(start, end)]);
        start = 0;
        end = data.length;
      }
      const used = parser.feed(data, start, end);
      carry = Buffer.from(data.subarray(start + used, end));
    } else if (event.kind === 'end') {
      if (carry.length > 0) parser.feed(carry, 0, carry.length, true);
      carry = Buffer.alloc(0);
      results[event.file] = parser.sockets;
    } else if (event.kind === 'error') {
      throw new Error(`${files[event.file]!.path}: ${event.message}`);
    }
  }
  return results;
}

const SYNC_CHUNK = 1 << 20;

/** ENOENT: no IPv6 in this kernel, or the process whose /proc we read has exited. */
function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** The same as readProcNetTcpFiles, reading in this thread: a read, then its parse, one chunk at a time. */
export function readProcNetTcpFilesHere(files: readonly ProcTableFile[]): (Socket[] | undefined)[] {
  const buf = Buffer.allocUnsafe(AHEAD_RESERVE + SYNC_CHUNK);
  return files.map((f) => {
    let fd: number;
    try {
      fd = openSync(f.path, 'r');
    } catch (error) {
      if (missing(error)) return undefined;
      throw new Error(`${f.path}: ${(error as Error).message}`);
    }
    try {
      const parser = new ProcNetTcpParser(f.family, f.warnings);
      let carry = 0;
      for (;;) {
        const n = readSync(fd, buf, AHEAD_RESERVE, SYNC_CHUNK, null);
        const start = AHEAD_RESERVE - carry;
        if (n === 0) {
          if (carry > 0) parser.feed(buf, start, AHEAD_RESERVE, true);
          return parser.sockets;
        }
        const end = AHEAD_RESERVE + n;
        const used = parser.feed(buf, start, end);
        carry = end - (start + used);
        if (carry > AHEAD_RESERVE) throw new Error(`${f.path}: a line longer than ${AHEAD_RESERVE} bytes`);
        buf.copy(buf, AHEAD_RESERVE - carry, start + used, end);
      }
    } finally {
      closeSync(fd);
    }
  });
}
