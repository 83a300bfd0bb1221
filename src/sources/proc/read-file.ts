import { closeSync, openSync, readSync } from 'node:fs';
import type { Family, Socket, Warning } from '../../model/snapshot.ts';
import { ProcNetTcpParser } from './proc-net-tcp.ts';

export interface ProcTableFile {
  path: string;
  family: Family;
  warnings: Warning[];
}

/** Room in front of each chunk for the unfinished line of the previous one (lines are ~150 bytes). */
const RESERVE = 8192;
const SYNC_CHUNK = 1 << 20;

/** ENOENT: no IPv6 in this kernel, or the process whose /proc we read has exited. */
function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/**
 * Reads and parses /proc/net/tcp-format files: one megabyte read, then its lines parsed, and so on, in one reused
 * buffer. Per file: its sockets, or undefined when the file does not exist. Throws (naming the path) when a file
 * exists but cannot be read.
 *
 * Reading costs what `cat` costs (the kernel formats the text inside read()). We tried reading ahead in a worker
 * thread so the kernel's formatting and our parse overlap: starting the worker costs 30-70 ms, and on a busy
 * machine (which is when people look at their sockets) the two threads share one core and it was slower; see
 * docs/benchmarks.md.
 */
export function readProcNetTcpFiles(files: readonly ProcTableFile[]): (Socket[] | undefined)[] {
  const buf = Buffer.allocUnsafe(RESERVE + SYNC_CHUNK);
  return files.map((f) => {
    let fd: number | undefined;
    try {
      fd = openSync(f.path, 'r');
      return readTable(fd, f, buf);
    } catch (error) {
      if (fd === undefined && missing(error)) return undefined;
      throw new Error(`${f.path}: ${(error as Error).message}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  });
}

/** One opened file: a read, then its lines parsed, until the end. */
function readTable(fd: number, f: ProcTableFile, buf: Buffer): Socket[] {
  const parser = new ProcNetTcpParser(f.family, f.warnings);
  let carry = 0;
  for (;;) {
    const n = readSync(fd, buf, RESERVE, SYNC_CHUNK, null);
    const start = RESERVE - carry;
    if (n === 0) {
      if (carry > 0) parser.feed(buf, start, RESERVE, true);
      return parser.sockets;
    }
    const end = RESERVE + n;
    const used = parser.feed(buf, start, end);
    carry = end - (start + used);
    if (carry > RESERVE) {
      // A line longer than the reserve is nothing the kernel prints: let it end here (it becomes a warning).
      parser.feed(buf, start + used, end, true);
      carry = 0;
      continue;
    }
    buf.copy(buf, RESERVE - carry, start + used, end);
  }
}
