import { type GroupKey, groupBy, listeningPorts } from '../analysis/groups.ts';
import type { Finding } from '../model/finding.ts';
import type { GroupCountRow, StoredGroupKind } from '../model/recording.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { TCP_STATES } from '../states/states.ts';
import { type KernelStays, serviceOfTuple } from '../track/kernel-stays.ts';
import type { ConnectionTracker, TrackStep } from '../track/tracker.ts';
import type { SnapshotWrite } from './types.ts';

/** Groups of each kind kept per look: enough to follow the big ones, bounded so churn cannot grow the file. */
export const TOP_GROUPS = 20;

/** What one look writes: counts per state, the top groups per kind, findings, and the tracker's step. */
export function buildSnapshotWrite(
  snapshot: Snapshot,
  step: TrackStep,
  tracker: ConnectionTracker,
  findings: readonly Finding[],
): SnapshotWrite {
  const groups: GroupCountRow[] = [];
  const kinds: Array<[StoredGroupKind, GroupKey]> = [
    ['service', 'service'],
    ['peer', 'peer'],
  ];
  if (snapshot.sockets.some((s) => s.processes !== undefined)) kinds.push(['process', 'process']);
  for (const [kind, by] of kinds) {
    for (const group of groupBy(snapshot.sockets, by).slice(0, TOP_GROUPS)) {
      // Inbound and outbound use of one port are different services; keep them apart in the key.
      const key = group.direction === 'out' ? `→${group.key}` : group.key;
      for (const state of TCP_STATES) {
        const count = group.byState[state];
        if (count > 0) groups.push({ kind, key, state, count });
      }
    }
  }
  return {
    at: snapshot.takenAt,
    source: snapshot.source.name,
    counts: step.counts,
    groups,
    findings: findings.map((f) => ({ rule: f.rule, severity: f.severity, title: f.title })),
    step,
    connections: tracker.current(),
  };
}

/**
 * Adds the kernel's complete stays and transitions since the previous look, the stays named by service as this
 * look's listeners say.
 */
export function attachKernelStays(
  write: SnapshotWrite,
  snapshot: Snapshot,
  stays: KernelStays,
): SnapshotWrite {
  const listening = listeningPorts(snapshot.sockets);
  write.kernel = {
    stays: stays.take().map((k) => ({ ...k, service: serviceOfTuple(k.local, k.remote, listening) })),
    transitions: stays.takeTransitions(),
  };
  return write;
}
