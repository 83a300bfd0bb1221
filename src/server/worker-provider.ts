import { Worker } from 'node:worker_threads';
import { TcpstateError } from '../errors.ts';
import type { LiveSourceOptions } from '../sources/live.ts';
import type { KernelChangeFeed } from '../sources/trace/feed.ts';
import { monotonicMs } from '../sources/trace/session.ts';
import type { Look, LookSockets } from './look.ts';
import type { LookProvider } from './sampler.ts';
import type { WorkerChanges, WorkerRequest } from './snapshot-worker.ts';

type Reply =
  | { id: number; value: unknown }
  | { id: number; error: { message: string; code: string; exitCode: number } };

/** Distributes Omit over a union, so each request keeps its own fields. */
type Question = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export interface WorkerProvider {
  /** Pass as the server's `look`. */
  provider: LookProvider;
  close(): Promise<void>;
}

/**
 * Takes the server's looks in a worker thread (see snapshot-worker.ts for why), so HTTP load cannot starve the
 * sampling loop and neither reading a big table nor diagnosing it stalls requests. The sockets stay in the worker;
 * what an endpoint needs of them is asked there. Errors come back typed. With the kernel trace, its state changes
 * are posted to the worker as they come (their endpoints, new state and time only), so the looks' ages are the
 * kernel's exact entry times where it saw the entry, as in watch.
 */
export function workerSnapshotProvider(
  options: LiveSourceOptions,
  kernel?: KernelChangeFeed,
): WorkerProvider {
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
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();
  worker.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if ('value' in reply) waiter.resolve(reply.value);
    else
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
  const ask = <T>(question: Question): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...question, id });
    });
  const wallOffsetMs = Date.now() - monotonicMs();
  const unsubscribe = kernel?.subscribe((changes) => {
    const message: WorkerChanges = {
      type: 'changes',
      changes: changes.map(({ atMs, to, local, remote }) => ({ atMs, to, local, remote })),
      wallOffsetMs,
    };
    worker.postMessage(message);
  });
  const socketsOf = (look: number): LookSockets => ({
    query: (url) => ask({ type: 'query', look, url }),
    aggregates: (limits) => ask({ type: 'aggregates', look, limits }),
    groups: (by, top) => ask({ type: 'groups', look, by, top }),
  });
  return {
    provider: async () => {
      const id = nextId;
      const look = await ask<Look>({ type: 'look', options });
      return { look, sockets: socketsOf(id) };
    },
    close: async () => {
      unsubscribe?.();
      await worker.terminate();
    },
  };
}
