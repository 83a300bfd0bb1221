import { readFileSync, statSync } from 'node:fs';
import { ParseError, SourceError } from '../../errors.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import type { TextFormat } from './detect.ts';
import { parseTextBytes } from './index.ts';

/** Larger inputs are refused rather than risking the process's memory (a listing of 4M sockets is ~400 MB). */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

export interface ReadTextOptions {
  format?: TextFormat;
  encoding?: string;
}

/** Reads a listing from a path, or from stdin for `-`, into a Snapshot. Errors name the input. */
export async function readTextSnapshot(path: string, options: ReadTextOptions = {}): Promise<Snapshot> {
  const name = path === '-' ? 'stdin' : path;
  let bytes: Buffer;
  let takenAt = Date.now();
  if (path === '-') bytes = await readStdin(name);
  else {
    let size: number;
    try {
      const st = statSync(path);
      if (st.isDirectory()) throw new SourceError('is a directory, not a listing', name);
      size = st.size;
      takenAt = st.mtimeMs;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new SourceError(
        code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`,
        name,
        error,
      );
    }
    if (size > MAX_INPUT_BYTES)
      throw new SourceError(`too large (${size} bytes; the limit is ${MAX_INPUT_BYTES})`, name);
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new SourceError(
        `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        name,
        error,
      );
    }
  }
  if (bytes.length === 0) throw new ParseError('empty input', { source: name });
  return parseTextBytes(bytes, {
    name,
    takenAt: Math.round(takenAt),
    ...(options.format ? { format: options.format } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
  });
}

async function readStdin(name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > MAX_INPUT_BYTES) throw new SourceError(`too large (over ${MAX_INPUT_BYTES} bytes)`, name);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
