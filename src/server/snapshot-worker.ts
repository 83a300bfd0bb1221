/**
 * Runs in a worker thread: takes the server's looks. Reading 100k sockets costs the kernel and the decoder hundreds
 * of milliseconds; on the server's own thread that would wait behind the HTTP requests in the queue (a 0.5 s
 * snapshot took 9 s under 100 clients). Here it has a loop to itself.
 *
 * The sockets stay here. Each look sends the server's thread only what every look needs (counts, transitions, ages,
 * findings, the kernel context); groups, metric aggregates and `/api/snapshot` documents are computed here when an
 * endpoint asks, from the look it asks about. Copying 100k socket objects to the other thread by structured clone
 * cost more CPU than taking the look.
 */
import { parentPort } from 'node:worker_threads';
import type { GroupKey } from '../analysis/groups.ts';
import { diagnose } from '../diagnose/index.ts';
import { isTcpstateError } from '../errors.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { type LiveSourceOptions, takeLiveSnapshot } from '../sources/live.ts';
import { type EntryChange, KernelEntryTimes } from '../track/kernel-ages.ts';
import type { Limits } from './aggregates.ts';
import { LookTaker, SnapshotAnswers } from './look.ts';

export type WorkerRequest =
  | { id: number; type: 'look'; options: LiveSourceOptions }
  | { id: number; type: 'query'; look: number; url: string }
  | { id: number; type: 'aggregates'; look: number; limits: Limits }
  | { id: number; type: 'groups'; look: number; by: GroupKey; top: number };

/** State changes from serve's kernel trace, posted as they come (no reply): the looks' exact entry times. */
export interface WorkerChanges {
  type: 'changes';
  changes: EntryChange[];
  /** Turns the changes' kernel monotonic ms into wall-clock ms. */
  wallOffsetMs: number;
}

/** Looks kept for questions: the current one and the one before (a question may be in flight across a look). */
const KEEP = 2;

const entries = new KernelEntryTimes();
const taker = new LookTaker(entries);
let previous: Snapshot | undefined;
const kept = new Map<number, SnapshotAnswers>();

function answer(request: WorkerRequest): unknown {
  if (request.type === 'look') throw new Error('not a question');
  const answers = kept.get(request.look);
  if (answers === undefined) throw new Error(`look ${request.look} is no longer kept`);
  switch (request.type) {
    case 'query':
      return answers.query(request.url);
    case 'aggregates':
      return answers.aggregates(request.limits);
    case 'groups':
      return answers.groups(request.by, request.top);
  }
}

function fail(id: number, error: unknown): void {
  parentPort?.postMessage({
    id,
    error: {
      message: error instanceof Error ? error.message : String(error),
      code: isTcpstateError(error) ? error.code : 'E_INTERNAL',
      exitCode: isTcpstateError(error) ? error.exitCode : 70,
    },
  });
}

parentPort?.on('message', (request: WorkerRequest | WorkerChanges) => {
  if (request.type === 'changes') {
    entries.add(request.changes, request.wallOffsetMs);
    return;
  }
  if (request.type !== 'look') {
    try {
      parentPort?.postMessage({ id: request.id, value: answer(request) });
    } catch (error) {
      fail(request.id, error);
    }
    return;
  }
  takeLiveSnapshot(request.options).then(
    (snapshot) => {
      const findings = diagnose(snapshot, {}, previous);
      previous = snapshot;
      const look = taker.take(snapshot, findings);
      kept.set(request.id, new SnapshotAnswers(snapshot, findings));
      for (const id of kept.keys()) if (kept.size > KEEP) kept.delete(id);
      parentPort?.postMessage({ id: request.id, value: look });
    },
    (error: unknown) => fail(request.id, error),
  );
});
