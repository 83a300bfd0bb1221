import { Worker } from 'node:worker_threads';

/**
 * Reads files in a helper thread ahead of the caller, through a ring of shared buffers, so the kernel's formatting
 * of /proc/net/tcp{,6} (as costly as our parsing of it, and all in read()) runs on one core while this thread parses
 * the previous chunk on the other. Handing over happens with Atomics on shared memory: no messages, no copies, no
 * event-loop turns, and the caller stays synchronous.
 *
 * The reader is plain JavaScript evaluated in the worker (`eval: true`), so it needs no separate file in either the
 * TypeScript sources or the build.
 */

const SLOTS = 4;
/** The seq_file behind /proc/net/tcp fills whatever a read() offers; 256 KiB keeps each hand-over short. */
export const CHUNK = 256 * 1024;
/** Room in front of each chunk where the caller puts the unfinished line of the previous one. */
export const RESERVE = 8192;
const SLOT_BYTES = RESERVE + CHUNK;

// Control words: per slot its state; the worker's error text goes after the slots.
const EMPTY = 0;
const FULL = 1;
// Per slot, in `meta`: [state, length, fileIndex, kind] with kind 0 = data, 1 = end of file, 2 = missing, 3 = error.
const META = 4;
const KIND_DATA = 0;
const KIND_EOF = 1;
const KIND_MISSING = 2;
const KIND_ERROR = 3;
const ERROR_BYTES = 1024;
/** Word after the slots: bumped by the reader on every read, so a reader that died is noticed. */
const PROGRESS = SLOTS * META;
/** No read finishing for this long means the reader is gone (a 1M-socket table reads in under 2 s). */
const STALL_MS = 15_000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { files, meta, data, errors, slots, slotBytes, reserve, chunk } = workerData;
const m = new Int32Array(meta);
let slot = 0;
function publish(fileIndex, kind, length) {
  const at = slot * ${META};
  Atomics.add(m, ${PROGRESS}, 1);
  m[at + 1] = length; m[at + 2] = fileIndex; m[at + 3] = kind;
  Atomics.store(m, at, ${FULL});
  Atomics.notify(m, at);
  slot = (slot + 1) % slots;
}
function claim() {
  const at = slot * ${META};
  while (Atomics.load(m, at) !== ${EMPTY}) Atomics.wait(m, at, ${FULL});
}
function fail(fileIndex, kind, error) {
  claim();
  const text = Buffer.from(String(error && error.code ? error.code + ' ' + error.message : error)).subarray(0, ${ERROR_BYTES});
  const e = new Uint8Array(errors, slot * ${ERROR_BYTES}, ${ERROR_BYTES});
  e.fill(0); e.set(text);
  publish(fileIndex, kind, text.length);
}
files.forEach((path, fileIndex) => {
  let fd;
  try { fd = fs.openSync(path, 'r'); }
  catch (error) {
    const missing = error.code === 'ENOENT' || error.code === 'ESRCH';
    fail(fileIndex, missing ? ${KIND_MISSING} : ${KIND_ERROR}, error);
    return;
  }
  try {
    for (;;) {
      claim();
      const view = new Uint8Array(data, slot * slotBytes + reserve, chunk);
      const n = fs.readSync(fd, view, 0, chunk, null);
      if (n === 0) { publish(fileIndex, ${KIND_EOF}, 0); break; }
      publish(fileIndex, ${KIND_DATA}, n);
    }
  } catch (error) {
    fail(fileIndex, ${KIND_ERROR}, error);
  } finally {
    fs.closeSync(fd);
  }
});
`;

export type ChunkEvent =
  | { kind: 'data'; file: number; buffer: Buffer; start: number; end: number }
  | { kind: 'end'; file: number }
  | { kind: 'missing'; file: number }
  | { kind: 'error'; file: number; message: string };

/**
 * Starts reading `files` one after the other in a helper thread and returns an iterator over their chunks, in
 * order. Each data chunk lies at `buffer[start, end)` with `RESERVE` writable bytes before `start`; the buffer is
 * handed back to the reader when the next event is asked for, so copy anything you keep.
 */
export function* readAhead(files: readonly string[]): Generator<ChunkEvent, void, void> {
  const meta = new SharedArrayBuffer((SLOTS * META + 1) * 4);
  const data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
  const errors = new SharedArrayBuffer(SLOTS * ERROR_BYTES);
  const m = new Int32Array(meta);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      files,
      meta,
      data,
      errors,
      slots: SLOTS,
      slotBytes: SLOT_BYTES,
      reserve: RESERVE,
      chunk: CHUNK,
    },
    // The reader must not keep the process alive, nor inherit our stdio handling.
    stdout: false,
    stderr: false,
  });
  worker.unref();
  const view = Buffer.from(data);
  let slot = 0;
  let finished = 0;
  try {
    while (finished < files.length) {
      const at = slot * META;
      let progress = Atomics.load(m, PROGRESS);
      let since = Date.now();
      while (Atomics.load(m, at) !== FULL) {
        Atomics.wait(m, at, EMPTY, 1000);
        const now = Atomics.load(m, PROGRESS);
        if (now !== progress) {
          progress = now;
          since = Date.now();
        } else if (Date.now() - since > STALL_MS) {
          throw new Error(`the reader thread stopped (no read finished in ${STALL_MS / 1000} s)`);
        }
      }
      const length = m[at + 1]!;
      const file = m[at + 2]!;
      const kind = m[at + 3]!;
      if (kind === KIND_DATA) {
        const start = slot * SLOT_BYTES + RESERVE;
        yield { kind: 'data', file, buffer: view, start, end: start + length };
      } else {
        finished++;
        if (kind === KIND_EOF) yield { kind: 'end', file };
        else if (kind === KIND_MISSING) yield { kind: 'missing', file };
        else {
          const message = Buffer.from(errors, slot * ERROR_BYTES, length).toString('utf8');
          yield { kind: 'error', file, message };
        }
      }
      Atomics.store(m, at, EMPTY);
      Atomics.notify(m, at);
      slot = (slot + 1) % SLOTS;
    }
  } finally {
    void worker.terminate();
  }
}
