import type { ReportInput } from '../track/trends.ts';
import type { SnapshotStore } from './types.ts';

/** What `report` reads of a recording: everything from `since` on, the connections still open at the end, and the
 * kernel's transitions where the looks were traced. */
export function readReportInput(store: SnapshotStore, since = 0): ReportInput {
  return {
    snapshots: store.snapshots(since),
    groups: store.groupSeries(since),
    spans: store.spans(since),
    durations: store.durations(since),
    findings: store.findings(since),
    open: store.openStays(),
    transitions: store.transitions(since),
    tracedLooks: store.tracedLooks(since),
  };
}
