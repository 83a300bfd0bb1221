import { Worker } from 'node:worker_threads';
import { TcpstateError } from '../errors.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { LiveSourceOptions } from '../sources/live.ts';
import type { FindingsProvider, SnapshotProvider } from './sampler.ts';

type Reply =
  | { id: number; snapshot: Snapshot; findings?: Finding[] }
  | { id: number; error: { message: string; code: string; exitCode: number } };

export interface WorkerProvider {
  provider: SnapshotProvider;
  /** The diagnoses the worker ran on each snapshot it returned (pass as the server's `findings`). */
  findings: FindingsProvider;
  close(): Promise<void>;
}

/**
 * A snapshot provider that takes live snapshots, and runs the diagnoses on them, in a worker thread (see
 * snapshot-worker.ts for why), so HTTP load cannot starve the sampling loop and neither parsing a big table nor
 * diagnosing it stalls requests. Errors come back typed.
 */
export function workerSnapshotProvider(options: LiveSourceOptions): WorkerProvider {
  // Built, the worker is a .js file. From source (tsx), worker threads do not inherit tsx's loader, so a tiny
  // bootstrap module registers it and then imports the .ts worker.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const entry = new URL(`./snapshot-worker.${ext}`, import.meta.url);
  const worker =
    ext === 'js'
      ? new Worker(entry)
      : new Worker(
          new URL(
            `data:text/javascript,${encodeURIComponent(
              `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nregister();\nawait import(${JSON.stringify(entry.href)});`,
            )}`,
          ),
        );
  worker.unref();
  let nextId = 1;
  const findingsOf = new WeakMap<Snapshot, Finding[]>();
  const pending = new Map<number, { resolve: (s: Snapshot) => void; reject: (e: Error) => void }>();
  worker.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if ('snapshot' in reply) {
      if (reply.findings) findingsOf.set(reply.snapshot, reply.findings);
      waiter.resolve(reply.snapshot);
    } else
      waiter.reject(
        new TcpstateError(reply.error.message, { code: reply.error.code, exitCode: reply.error.exitCode }),
      );
  });
  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) =>
    failAll(new TcpstateError(`snapshot worker exited (${code})`, { code: 'E_WORKER' })),
  );
  return {
    provider: () =>
      new Promise<Snapshot>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, options, diagnose: true });
      }),
    findings: (snapshot) => findingsOf.get(snapshot) ?? [],
    close: async () => {
      await worker.terminate();
    },
  };
}
