import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Reads a /proc file whole. /proc files report size 0, so `readFile` would grow its buffer 64 KiB at a time; the
 * seq_file behind /proc/net/tcp fills as much of each read() as we offer, so large reads mean few system calls.
 * Returns undefined when the file does not exist (no IPv6 in this kernel, a process that has exited).
 */
export function readProcFile(path: string, initialSize = 1 << 20): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
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
