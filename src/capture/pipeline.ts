/**
 * Reader → decoder → tracker, and the I/O edge that feeds it from a file or stdin in chunks.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CaptureFormatError, SourceError } from '../errors.ts';
import type { Warning } from '../model/snapshot.ts';
import { plural } from '../render/format.ts';
import type { Connection } from './conn.ts';
import {
  DecodedSegment,
  type DecodeOptions,
  type DecodeStats,
  decodePacket,
  emptyDecodeStats,
} from './decode.ts';
import { CaptureReader, type ReaderStats } from './reader.ts';
import { Tracker, type TrackerOptions, type TrackerStats } from './tracker.ts';

export interface CaptureOptions extends TrackerOptions, DecodeOptions {
  /** Called now and then with bytes read so far and the total (undefined for stdin). */
  onProgress?: (bytesRead: number, total: number | undefined) => void;
  /**
   * Asked between chunks of input by the asynchronous readers (readCaptureFdPaced, readCaptureStream): a promise
   * makes reading wait for it. The output's backpressure: while a slow reader of what onConnection writes has
   * not taken it, no more input is read, so memory stays bounded.
   */
  pace?: () => Promise<void> | undefined;
}

export interface CaptureResult {
  source: string;
  reader: ReaderStats;
  decode: DecodeStats;
  tracker: TrackerStats;
  warnings: Warning[];
}

/** A push-style pipeline: feed chunks, then call end(). */
export class CapturePipeline {
  readonly reader: CaptureReader;
  readonly tracker: Tracker;
  readonly decode: DecodeStats = emptyDecodeStats();
  private readonly seg = new DecodedSegment();

  constructor(source: string, options: CaptureOptions = {}) {
    // A paced reader hands connections over in batches between its waits (see drainPaced).
    this.tracker = new Tracker({ ...options, deferEmit: options.pace !== undefined });
    const seg = this.seg;
    const stats = this.decode;
    const tracker = this.tracker;
    const decodeOptions: DecodeOptions = { checksums: options.checksums ?? false };
    this.reader = new CaptureReader(source, (p) => {
      if (decodePacket(p, seg, stats, decodeOptions)) {
        if (Number.isNaN(seg.ts)) return;
        tracker.segment(seg);
      }
    });
  }

  /**
   * The corrupt block reading stopped at. Packets before it are kept and analysed, as a truncated file's are;
   * only input that is not a capture at all (a bad header) throws.
   */
  corrupt: CaptureFormatError | undefined;

  push(chunk: Uint8Array): void {
    if (this.corrupt !== undefined) return;
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.stopAt(error);
    }
  }

  /** Parses what it can at the start of `buf`; returns the bytes used (see CaptureReader.feed). */
  feed(buf: Uint8Array): number {
    if (this.corrupt !== undefined) return buf.length;
    try {
      return this.reader.feed(buf);
    } catch (error) {
      this.stopAt(error);
      return buf.length;
    }
  }

  private stopAt(error: unknown): void {
    if (!(error instanceof CaptureFormatError) || this.reader.stats.format === undefined) throw error;
    this.corrupt = error;
    this.reader.abandonTail();
    this.reader.stats.corruptAt = error.offset;
    this.reader.warnings.push({ offset: error.offset, message: error.detail });
  }

  end(): CaptureResult {
    this.endInput();
    this.tracker.emitPending();
    return this.result();
  }

  /** No more input: the connections still open end with the capture (queued if the tracker defers them). */
  endInput(): void {
    this.reader.end();
    this.tracker.finish();
  }

  /**
   * Hands the connections that ended over in batches, waiting for `pace` between batches: a sweep may end tens
   * of thousands at once, and their output should not all wait in memory for a slow reader.
   */
  async drainPaced(pace: (() => Promise<void> | undefined) | undefined): Promise<void> {
    for (;;) {
      const more = this.tracker.emitPending(EMIT_BATCH);
      const wait = pace?.();
      if (wait !== undefined) await wait;
      if (!more) return;
    }
  }

  result(): CaptureResult {
    const warnings = [...this.reader.warnings];
    if (this.decode.fragments > 0) {
      warnings.push({
        message: `${plural(this.decode.fragments, 'IP fragment')} not analysed (no reassembly)`,
      });
    }
    if (this.decode.truncated > 0) {
      warnings.push({
        message: `${plural(this.decode.truncated, 'packet')} with headers cut short by the capture length`,
      });
    }
    for (const [type, n] of Object.entries(this.decode.unknownLinktypes)) {
      warnings.push({ message: `${plural(n, 'packet')} on link type ${type}, which is not decoded` });
    }
    return {
      source: this.reader.source,
      reader: this.reader.stats,
      decode: this.decode,
      tracker: this.tracker.stats,
      warnings,
    };
  }
}

const CHUNK = 4 * 1024 * 1024;
/** Connections handed over between two looks at the output's backpressure. */
const EMIT_BATCH = 512;

/** Reads a capture file synchronously (fastest path), streaming finished connections to options.onConnection. */
export function readCaptureFile(path: string, options: CaptureOptions = {}): CaptureResult {
  const fd = openCapture(path);
  try {
    return readCaptureFd(fd, path, options);
  } finally {
    closeSync(fd);
  }
}

/** readCaptureFile, waiting for options.pace() between chunks (an output's backpressure). */
export async function readCaptureFilePaced(
  path: string,
  options: CaptureOptions = {},
): Promise<CaptureResult> {
  const fd = openCapture(path);
  try {
    return await readCaptureFdPaced(fd, path, options);
  } finally {
    closeSync(fd);
  }
}

function openCapture(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    throw new SourceError(`cannot open: ${(error as Error).message}`, path, error);
  }
}

/**
 * Reads a capture from an open descriptor of a regular file (a named file, or stdin redirected from one), in
 * large synchronous reads; the caller closes it. The file's size sizes the tracker's store and the progress.
 */
export function readCaptureFd(fd: number, source: string, options: CaptureOptions = {}): CaptureResult {
  const { pipeline, total } = fdPipeline(fd, source, options);
  for (const _ of fdChunks(fd, total, pipeline, options));
  return pipeline.end();
}

/** readCaptureFd, waiting for options.pace() between chunks (an output's backpressure). */
export async function readCaptureFdPaced(
  fd: number,
  source: string,
  options: CaptureOptions = {},
): Promise<CaptureResult> {
  const { pipeline, total } = fdPipeline(fd, source, options);
  for (const _ of fdChunks(fd, total, pipeline, options)) await pipeline.drainPaced(options.pace);
  pipeline.endInput();
  await pipeline.drainPaced(options.pace);
  return pipeline.result();
}

function fdPipeline(fd: number, source: string, options: CaptureOptions) {
  const stat = fstatSync(fd);
  if (stat.isDirectory()) throw new SourceError('is a directory, not a capture file', source);
  return { pipeline: new CapturePipeline(source, { ...options, captureBytes: stat.size }), total: stat.size };
}

/** Reads and feeds the file chunk by chunk, yielding after each. */
function* fdChunks(
  fd: number,
  total: number,
  pipeline: CapturePipeline,
  options: CaptureOptions,
): Generator<void> {
  let buf = new Uint8Array(CHUNK);
  let filled = 0;
  let read = 0;
  for (;;) {
    const n = readSync(fd, buf, filled, buf.length - filled, null);
    if (n === 0) return;
    read += n;
    filled += n;
    const used = pipeline.feed(buf.subarray(0, filled));
    if (pipeline.corrupt !== undefined) return;
    // Move the incomplete tail to the front and read after it; grow only for a record larger than the buffer.
    buf.copyWithin(0, used, filled);
    filled -= used;
    if (filled === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    options.onProgress?.(read, total);
    yield;
  }
}

/** Marks a read that an abort signal cut short. */
const STOPPED = Symbol('stopped');

/**
 * Reads a capture from a stream (stdin: `tcpdump -w - | tcpstate pcap -`). When `signal` aborts, reading stops
 * where it is and what was read is analysed as if the capture ended there (`stopped` says so in the result).
 */
export async function readCaptureStream(
  stream: AsyncIterable<Uint8Array | string>,
  source: string,
  options: CaptureOptions & { signal?: AbortSignal } = {},
): Promise<CaptureResult & { stopped: boolean }> {
  const pipeline = new CapturePipeline(source, options);
  const signal = options.signal;
  const chunks = stream[Symbol.asyncIterator]();
  let read = 0;
  let stopped = false;
  for (;;) {
    const step = signal === undefined ? await chunks.next() : await nextOrStop(chunks, signal);
    if (step === STOPPED) {
      stopped = true;
      // Ends the stream (a Readable is destroyed); the read still pending is dropped, and so is the start of a
      // record that had not fully arrived.
      void chunks.return?.();
      pipeline.reader.abandonTail();
      break;
    }
    if (step.done) break;
    const chunk = step.value;
    if (typeof chunk === 'string') continue;
    read += chunk.length;
    // Past a corrupt block push() ignores the rest, but the stream is still drained: closing a pipe early would
    // kill the writer with SIGPIPE.
    pipeline.push(chunk);
    options.onProgress?.(read, undefined);
    await pipeline.drainPaced(options.pace);
  }
  pipeline.endInput();
  await pipeline.drainPaced(options.pace);
  return { ...pipeline.result(), stopped };
}

/** The next chunk, or STOPPED if the signal aborts first. The listener goes with each read, so none pile up. */
function nextOrStop<T>(
  chunks: AsyncIterator<T>,
  signal: AbortSignal,
): Promise<IteratorResult<T> | typeof STOPPED> {
  if (signal.aborted) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(STOPPED);
    signal.addEventListener('abort', onAbort, { once: true });
    chunks.next().then(
      (step) => {
        signal.removeEventListener('abort', onAbort);
        resolve(step);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Convenience for tests and small captures: every connection, in the order they ended. */
export function readConnections(
  path: string,
  options: CaptureOptions = {},
): {
  connections: Connection[];
  result: CaptureResult;
} {
  const connections: Connection[] = [];
  const result = readCaptureFile(path, {
    ...options,
    onConnection: (c, stats) => {
      connections.push(c);
      options.onConnection?.(c, stats);
    },
  });
  return { connections, result };
}
