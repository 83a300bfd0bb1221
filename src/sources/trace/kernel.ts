/**
 * Runs `tcpstate-trace` (bpf/loader.c, built into dist/bpf by bpf/build.sh) and hands its records over in batches.
 * Everything the kernel program cannot decide is done in src/track/kernel-trace.ts.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceError } from '../../errors.ts';
import { takePrestartedTracer } from './prestart.ts';
import { decodeRecord, RECORD_SIZE, RecordKind, type TraceRecord } from './record.ts';

const SOURCE = 'trace';

/** The package root: the nearest folder above this file with a package.json (works from src/, dist/ and the bundle). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return dirname(fileURLToPath(import.meta.url));
}

export function loaderPath(): string {
  return process.env.TCPSTATE_TRACE_LOADER ?? join(packageRoot(), 'dist', 'bpf', 'tcpstate-trace');
}

function tracefsMounted(): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((line) => line.split(' ')[2] === 'tracefs');
  } catch {
    return false;
  }
}

/**
 * Why kernel tracing cannot run here, or undefined when it can (as far as can be told without loading it). As
 * root, mounts tracefs at /sys/kernel/tracing when nothing has.
 */
export function traceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `kernel tracing needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'kernel tracing needs root (BPF programs and tracepoints)';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'this kernel has no BTF (/sys/kernel/btf/vmlinux)';
  const loader = loaderPath();
  try {
    accessSync(loader, constants.X_OK);
  } catch {
    return `the tracer was not built (${loader} missing: install clang, bpftool and libbpf-dev, then npm run build:trace)`;
  }
  if (!tracefsMounted() && existsSync('/sys/kernel/tracing')) {
    try {
      execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing'], { stdio: 'ignore' });
    } catch {
      return 'tracefs is not mounted and mounting it failed (mount -t tracefs tracefs /sys/kernel/tracing)';
    }
  }
  return undefined;
}

export interface TraceStats {
  /** Records the kernel could not hand over (ring buffer full): changes we did not see. */
  dropped: number;
  /** Records handed over. */
  delivered: number;
}

export interface KernelTraceHandle {
  /** Resolves once every probe is attached (ms taken); rejects with a SourceError when loading fails. */
  ready: Promise<number>;
  readonly stats: TraceStats;
  /** Stops the tracer; resolves when it has exited and its last records were delivered. */
  stop(): Promise<void>;
  /** Resolves when the tracer exits on its own (an error) or after stop(). */
  done: Promise<void>;
}

export interface KernelTraceCallbacks {
  /** A batch of records in kernel order (one read of the pipe). */
  onRecords(records: TraceRecord[]): void;
  /** The dropped count grew (once per loader report, with the new total). */
  onDropped?(total: number, added: number): void;
  /** The tracer failed after it was ready. */
  onError?(error: SourceError): void;
}

export function startKernelTrace(
  callbacks: KernelTraceCallbacks,
  options: { netns?: number } = {},
): KernelTraceHandle {
  const unavailable = traceUnavailable();
  if (unavailable !== undefined) throw new SourceError(unavailable, SOURCE);
  const args = options.netns === undefined ? [] : ['--netns', String(options.netns)];
  // Started at launch by the command line (src/sources/trace/prestart.ts, imported first by src/cli/main.ts) with the same arguments: adopt it.
  const early = takePrestartedTracer(args);
  const started = early?.startedAt ?? performance.now();
  const child: ChildProcess = early?.child ?? spawn(loaderPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stats: TraceStats = { dropped: 0, delivered: 0 };
  let stderr = '';
  let rest: Buffer | undefined;
  let isReady = false;
  let resolveReady: (ms: number) => void = () => {};
  let rejectReady: (error: SourceError) => void = () => {};
  const ready = new Promise<number>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    let buf = chunk;
    if (rest !== undefined) {
      buf = Buffer.concat([rest, chunk]);
      rest = undefined;
    }
    const whole = buf.length - (buf.length % RECORD_SIZE);
    if (whole < buf.length) rest = Buffer.from(buf.subarray(whole));
    const records: TraceRecord[] = [];
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let at = 0; at < whole; at += RECORD_SIZE) {
      const kind = buf[at + 40];
      if (kind === RecordKind.ready) {
        isReady = true;
        resolveReady(performance.now() - started);
        continue;
      }
      if (kind === RecordKind.stats) {
        const record = decodeRecord(buf, at, view);
        const dropped = Number(record.cookie);
        if (dropped > stats.dropped) {
          const added = dropped - stats.dropped;
          stats.dropped = dropped;
          callbacks.onDropped?.(dropped, added);
        }
        continue;
      }
      records.push(decodeRecord(buf, at, view));
    }
    stats.delivered += records.length;
    if (records.length > 0) callbacks.onRecords(records);
  });
  const done = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      const failure = new SourceError(
        `cannot run the tracer ${loaderPath()}: ${error.message}`,
        SOURCE,
        error,
      );
      if (!isReady) rejectReady(failure);
      else callbacks.onError?.(failure);
      resolve();
    });
    child.on('close', (code) => {
      if (!isReady || (code !== 0 && code !== null)) {
        const why = stderr.trim().split('\n').at(-1) || `the tracer exited with code ${code}`;
        const failure = new SourceError(why.replace(/^tcpstate-trace: /, ''), SOURCE);
        if (!isReady) rejectReady(failure);
        else if (!stopping) callbacks.onError?.(failure);
      }
      resolve();
    });
  });
  let stopping = false;
  return {
    ready,
    stats,
    done,
    stop() {
      stopping = true;
      // Closing its stdin asks the loader to drain the ring and exit.
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      return done.then(() => clearTimeout(timer));
    },
  };
}
