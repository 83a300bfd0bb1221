/**
 * tcpstate's library API: everything the CLI does, as typed functions over one data type, the Snapshot.
 */

export * from './analysis/summary.ts';
export {
  CHECK_EXIT,
  type CheckSource,
  checkSummary,
  fileProvider,
  liveProvider,
  readThresholds,
  runCheck,
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
export * from './fsm/index.ts';
export type { Evidence, Finding, Severity } from './model/finding.ts';
export type * from './model/snapshot.ts';
export { renderFindings } from './render/findings.ts';
export { renderSequenceMermaid } from './render/sequence/mermaid.ts';
export { renderSequenceSvg } from './render/sequence/svg.ts';
export { renderSequenceText } from './render/sequence/text.ts';
export {
  renderStateDot,
  renderStateMermaid,
  renderStateSvg,
  renderStateText,
} from './render/state-diagram/render.ts';
// tcpstate serve: the HTTP server (Prometheus /metrics, JSON API, SSE, dashboard) as a library.
export {
  createServerApp,
  type HistoryProvider,
  type HistoryQuery,
  NotAvailableError,
  type ServerApp,
  type ServerAppOptions,
} from './server/app.ts';
export { type HistoryDocument, storeHistory } from './server/history.ts';
export { type RunningServer, type StartOptions, startServer } from './server/http.ts';
export { createMetrics, type ServerMetrics } from './server/metrics.ts';
export {
  type FindingsProvider,
  type Sample as ServerSample,
  Sampler,
  type SnapshotProvider,
} from './server/sampler.ts';
export { type Transition as ObservedTransition, TransitionTracker } from './server/transitions.ts';
export * from './sim/index.ts';
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
