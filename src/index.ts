/**
 * tcpstate's library API: everything the CLI does, as typed functions over one data type, the Snapshot.
 */

export {
  applyFilter,
  buildFilter,
  type FilterOptions,
  parseExpression,
  type SocketPredicate,
} from './analysis/filter.ts';
export { GROUP_KEYS, type Group, type GroupKey, groupBy, listeningPorts } from './analysis/groups.ts';
export { parseSortKey, SORT_KEYS, type SortKey, sortSockets } from './analysis/sort.ts';
export {
  countByState,
  emptyCounts,
  type StateCounts,
  type Summary,
  summarize,
} from './analysis/summary.ts';
// tcpstate check: thresholds, a monitoring-plugin status line with perfdata, and its exit code.
export {
  CHECK_EXIT,
  type CheckSource,
  checkSummary,
  fileProvider,
  liveProvider,
  readThresholds,
  runCheck,
} from './check/check.ts';
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
export {
  CaptureFormatError,
  isTcpstateError,
  NotAvailableError,
  ParseError,
  QueryError,
  SourceError,
  StoreError,
  TcpstateError,
  UsageError,
} from './errors.ts';
export {
  type AbortError,
  type CallError,
  type CloseError,
  type ConnectionError,
  classifySegment,
  DEFAULT_WINDOW,
  ERROR_TEXT,
  type Flags,
  getProfile,
  isAcceptable,
  newTcb,
  type OpenError,
  PROFILE_NAMES,
  PROFILES,
  type Profile,
  type ProfileName,
  type ReceiveError,
  RFC_NAME,
  rowId,
  type Segment,
  type SegmentEffect,
  type SendError,
  type StatusError,
  type StepResult,
  segLen,
  seqAdd,
  seqDiff,
  seqGe,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
  step,
  type Tcb,
  type TcpEvent,
  TIMER_NAMES,
  type TimerName,
  type Timers,
  type UserCall,
} from './fsm/index.ts';
export { formatIpv6 } from './internal/address.ts';
export type { Evidence, Finding, Severity } from './model/finding.ts';
// A recording's rows (what `report` and /api/history read) and the store they come from.
export {
  type DurationRow,
  type FindingRow,
  type GroupCountRow,
  type GroupSeriesPoint,
  type SpanRow,
  STORED_GROUP_KINDS,
  type StoredFinding,
  type StoredGroupKind,
  type StoredSnapshot,
} from './model/recording.ts';
export type {
  Endpoint,
  Family,
  KernelContext,
  ProcessRef,
  SkippedCounts,
  Snapshot,
  Socket,
  SocketTimer,
  SourceKind,
  Warning,
} from './model/snapshot.ts';
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
export {
  defaultRules,
  type EndpointName,
  findScenario,
  type NetworkRules,
  parseMatcher,
  runScenario,
  SCENARIOS,
  type Scenario,
  type ScriptStep,
  type SegmentMatcher,
  type SimulationInput,
  simulate,
  type Trace,
  type TraceEvent,
} from './sim/index.ts';
// This machine's sockets (or a namespace's), from whichever reader the platform has.
export { type LiveSourceOptions, takeLiveSnapshot } from './sources/live.ts';
export { type NativeOptions, type RunCommand, readNativeSnapshot } from './sources/native/native.ts';
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
  ProcNetTcpParser,
  parseProcNetTcp,
  parseProcNetTcpBytes,
} from './sources/proc/proc-net-tcp.ts';
export { attachProcesses, readSocketOwners, type SocketOwners } from './sources/proc/processes.ts';
// Text sources (pasted netstat / ss / sockstat from any OS) and native live mode on other OSes
export {
  decodeInput,
  detectFormat,
  type EndpointStyle,
  type ParseTextOptions,
  parseText,
  parseTextBytes,
  splitEndpoint,
  TEXT_FORMATS,
  type TextFormat,
} from './sources/text/index.ts';
export { readTextSnapshot } from './sources/text/read.ts';
export {
  EXPLAIN_LANGS,
  explainAll,
  explainState,
  type Lang,
  STACKS,
  type Stack,
  type StateExplanation,
  type StateText,
  stateText,
  type TimerFact,
} from './states/explain/index.ts';
export {
  isTcpState,
  NAME_STYLES,
  type NameStyle,
  normalizeSpelling,
  parseState,
  parseStateOrGroup,
  STATE_GROUPS,
  stateFromLinuxCode,
  stateName,
  TCP_STATES,
  type TcpState,
} from './states/states.ts';
// RFC 9293's state changes: one table for the capture's checks, the diagrams and the dashboard.
export {
  FIGURE_EDGES,
  isFigureEdge,
  isRfcTransition,
  RFC_EDGES,
  type RfcEdge,
} from './states/transitions.ts';
export { buildSnapshotWrite } from './store/snapshot-write.ts';
export { openSqliteStore, SqliteStore } from './store/sqlite-store.ts';
export type { MaintenanceOptions, SnapshotStore, SnapshotWrite } from './store/types.ts';
// Following connections across snapshots (watch, record, report).
export {
  AGE_BUCKET_LABELS,
  AGE_BUCKETS_MS,
  type AgeDistribution,
  ageDistribution,
  bucketOf,
  formatDuration,
  formatTrackedAge,
  oldestPerState,
} from './track/ages.ts';
export { connectionKey, isReuse } from './track/key.ts';
export {
  ConnectionTracker,
  type FlowEvent,
  flowByGroup,
  type SeedConnection,
  serviceOf,
  type TrackedAge,
  type TrackedConnection,
  type TrackStep,
  type Transition,
  trackedAge,
} from './track/tracker.ts';
export { type ObservedTransition, oldestSince, stepTransitions } from './track/transitions.ts';
export {
  buildReport,
  type FindingHistory,
  formatRate,
  type Leak,
  linearFit,
  type Report,
  type ReportInput,
  type ReportOptions,
  type StateTrend,
  type TimeInState,
} from './track/trends.ts';
export { VERSION } from './version.ts';
