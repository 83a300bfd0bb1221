/**
 * Runs in a worker thread: takes live snapshots on request. Reading /proc/net/tcp of 10k+ sockets costs the
 * kernel hundreds of milliseconds and arrives in many chunks; on the server's own thread every chunk would wait
 * behind the HTTP requests in the queue (a 0.5 s snapshot took 9 s under 100 clients). Here it has a loop to itself.
 */
import { parentPort } from 'node:worker_threads';
import { diagnose } from '../diagnose/index.ts';
import { isTcpstateError } from '../errors.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { type LiveSourceOptions, takeLiveSnapshot } from '../sources/live.ts';

export interface SnapshotRequest {
  id: number;
  options: LiveSourceOptions;
  /** Also run the diagnoses here (against the previous snapshot this worker took), off the server's thread. */
  diagnose: boolean;
}

let previous: Snapshot | undefined;

parentPort?.on('message', (request: SnapshotRequest) => {
  takeLiveSnapshot(request.options).then(
    (snapshot) => {
      const findings = request.diagnose ? diagnose(snapshot, {}, previous) : undefined;
      previous = snapshot;
      parentPort?.postMessage({ id: request.id, snapshot, findings });
    },
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error: {
          message: error instanceof Error ? error.message : String(error),
          code: isTcpstateError(error) ? error.code : 'E_INTERNAL',
          exitCode: isTcpstateError(error) ? error.exitCode : 70,
        },
      }),
  );
});
