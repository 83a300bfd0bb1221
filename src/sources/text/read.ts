import { createReadStream, readFileSync, statSync } from 'node:fs';
import { ParseError, SourceError } from '../../errors.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { checkHead, HEAD_BYTES } from './decode.ts';
import type { TextFormat } from './detect.ts';
import { parseTextBytes } from './index.ts';

/** Larger inputs are refused rather than risking the process's memory (a listing of 4M sockets is ~400 MB). */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

export interface ReadTextOptions {
  format?: TextFormat;
  encoding?: string;
  /** Refuse inputs larger than this (default MAX_INPUT_BYTES). */
  maxBytes?: number;
}

/**
 * Reads a listing from a path, or from stdin for `-`, into a Snapshot. Errors name the input. A regular file is
 * checked by its size before it is read; anything else (stdin, a FIFO, a character device such as /dev/zero) has
 * no size, so it is read as a stream under the same cap, and refused on its first 64 KiB if they are binary.
 */
export async function readTextSnapshot(path: string, options: ReadTextOptions = {}): Promise<Snapshot> {
  const name = path === '-' ? 'stdin' : path;
  const cap = options.maxBytes ?? MAX_INPUT_BYTES;
  let bytes: Buffer;
  let takenAt = Date.now();
  if (path === '-') bytes = await readStream(process.stdin, name, cap, options.encoding);
  else {
    let size: number;
    let regular: boolean;
    try {
      const st = statSync(path);
      if (st.isDirectory()) throw new SourceError('is a directory, not a listing', name);
      size = st.size;
      regular = st.isFile();
      if (regular) takenAt = st.mtimeMs;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      throw cannotRead(error, name);
    }
    if (!regular) bytes = await readStream(createReadStream(path), name, cap, options.encoding);
    else {
      if (size > cap) throw new SourceError(`too large (${size} bytes; the limit is ${cap})`, name);
      try {
        bytes = readFileSync(path);
      } catch (error) {
        throw cannotRead(error, name);
      }
      // The file may have grown between the stat and the read.
      if (bytes.length > cap) throw new SourceError(`too large (over ${cap} bytes)`, name);
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

function cannotRead(error: unknown, name: string): SourceError {
  const code = (error as NodeJS.ErrnoException).code;
  return new SourceError(
    code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`,
    name,
    error,
  );
}

/** Reads a stream to its end, at most `cap` bytes, refusing binary data as soon as the first 64 KiB are in. */
async function readStream(
  stream: AsyncIterable<unknown> & { destroy?: () => void },
  name: string,
  cap: number,
  encoding: string | undefined,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  let headChecked = false;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > cap) throw new SourceError(`too large (over ${cap} bytes)`, name);
      chunks.push(buf);
      if (!headChecked && total >= HEAD_BYTES) {
        checkHead(Buffer.concat(chunks), name, encoding);
        headChecked = true;
      }
    }
  } catch (error) {
    if (error instanceof SourceError || error instanceof ParseError) throw error;
    throw cannotRead(error, name);
  } finally {
    // Stop reading an endless device or a writer that keeps going; stdin is left alone.
    if (stream !== process.stdin) stream.destroy?.();
  }
  return Buffer.concat(chunks);
}
