/**
 * tcpstate's library API: everything the CLI does, as typed functions over one data type, the Snapshot.
 */

export * from './analysis/summary.ts';
export {
  CHECK_EXIT,
  checkSummary,
  fileProvider,
  liveProvider,
  readThresholds,
  runCheck,
  type SnapshotProvider,
  snapshotFromProcText,
} from './cli/commands/check.ts';
export {
  type AgeOptions,
  describeAge,
  handshakeElapsedSec,
  type StateAge,
  stateAge,
} from './diagnose/age.ts';
export { type NotChecked, notChecked } from './diagnose/coverage.ts';
export {
  DEFAULT_THRESHOLDS,
  type DiagnoseOptions,
  diagnose,
  type ThresholdName,
  type Thresholds,
  worstSeverity,
} from './diagnose/index.ts';
export * from './errors.ts';
export type { Evidence, Finding, Severity } from './model/finding.ts';
export type * from './model/snapshot.ts';
export { renderFindings } from './render/findings.ts';
export { KERNEL_SYSCTLS, parseSnmpPairs, parseSockstat } from './sources/proc/kernel.ts';
export {
  type LiveSnapshotOptions,
  readLiveSnapshot,
  readProcSockets,
  readProcSocketTable,
} from './sources/proc/live.ts';
export { type NetnsTarget, openNetns } from './sources/proc/netns.ts';
export {
  decodeProcAddress,
  formatIpv6,
  ProcNetTcpParser,
  parseProcNetTcp,
  parseProcNetTcpBytes,
} from './sources/proc/proc-net-tcp.ts';
export { attachProcesses, readSocketOwners, type SocketOwners } from './sources/proc/processes.ts';
export * from './states/explain/index.ts';
export * from './states/states.ts';
export { buildSnapshotWrite } from './store/snapshot-write.ts';
export { openSqliteStore, SqliteStore } from './store/sqlite-store.ts';
export type * from './store/types.ts';
export * from './track/ages.ts';
export * from './track/key.ts';
export * from './track/tracker.ts';
export * from './track/trends.ts';
