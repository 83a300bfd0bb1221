import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Family, Socket, Warning } from '../../model/snapshot.ts';
import { ProcNetTcpParser } from './proc-net-tcp.ts';

/** ENOENT: no IPv6 in this kernel, or the process whose /proc we read has exited. */
function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/**
 * Reads a /proc file whole. /proc files report size 0, so `readFile` would grow its buffer 64 KiB at a time; the
 * seq_file behind /proc/net/tcp fills as much of each read() as we offer, so large reads mean few system calls.
 * Returns undefined when the file does not exist.
 */
export function readProcFile(path: string, initialSize = 1 << 20): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
  }
  try {
    let buf = Buffer.allocUnsafe(initialSize);
    let length = 0;
    for (;;) {
      if (buf.length - length < 65536) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

const CHUNK = 1 << 20;
/** Room in front of each chunk for the unfinished line of the previous one (lines are ~150 bytes). */
const RESERVE = 8192;

/**
 * Reads and parses /proc/net/tcp{,6} as a pipeline: while the kernel formats the next megabyte (the read runs in
 * libuv's thread pool), this thread parses the previous one. With 100k sockets both halves cost about the same, so
 * the overlap is what keeps tcpstate near `cat`. Returns undefined when the file does not exist.
 */
export async function readProcNetTcp(
  path: string,
  family: Family,
  warnings: Warning[],
): Promise<Socket[] | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
  }
  try {
    const parser = new ProcNetTcpParser(family, warnings);
    const buffers = [Buffer.allocUnsafe(RESERVE + CHUNK), Buffer.allocUnsafe(RESERVE + CHUNK)];
    let which = 0;
    let pending = handle.read(buffers[which]!, RESERVE, CHUNK, null);
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await pending;
      const buf = buffers[which]!;
      if (bytesRead === 0) {
        if (carry.length > 0) parser.feed(carry, 0, carry.length, true);
        break;
      }
      which ^= 1;
      // Start the next read before parsing this chunk: that is the whole point.
      pending = handle.read(buffers[which]!, RESERVE, CHUNK, null);
      let start = RESERVE;
      let data = buf;
      let end = RESERVE + bytesRead;
      if (carry.length <= RESERVE) {
        start = RESERVE - carry.length;
        carry.copy(buf, start);
      } else {
        // A line longer than the reserve (not something the kernel prints): fall back to a copy.
        data = Buffer.concat([carry, buf.subarray(RESERVE, end)]);
        start = 0;
        end = data.length;
      }
      const used = parser.feed(data, start, end);
      carry = Buffer.from(data.subarray(start + used, end));
    }
    return parser.sockets;
  } finally {
    await handle.close();
  }
}
