/** `tcpstate trace --json/--ndjson`: one object per change, and the summary (schema tcpstate.trace/1). */
import type { StateChange } from '../track/kernel-trace.ts';
import type { TraceSummary } from '../track/trace-summary.ts';

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

export function traceChangeJson(change: StateChange, wallOffsetMs: number, startedAtMs: number) {
  const beganBefore =
    change.stayMs === undefined &&
    change.from !== 'CLOSED' &&
    !(change.from === 'LISTEN' && change.to === 'SYN_RECEIVED');
  return {
    time: new Date(change.atMs + wallOffsetMs).toISOString(),
    /** Kernel monotonic clock, ms. */
    monotonicMs: round3(change.atMs),
    from: change.from,
    to: change.to,
    /** Exact time in `from`, ms; null when not known. */
    stayMs: change.stayMs === undefined ? null : round3(change.stayMs),
    /** When `from` began before tracing: the stay was at least this long. */
    ...(beganBefore ? { stayAtLeastMs: round3(Math.max(0, change.atMs - startedAtMs)) } : {}),
    family: change.family,
    local: { address: change.local.address, port: change.local.port ?? null },
    remote: { address: change.remote.address, port: change.remote.port ?? null },
    process: change.owner === undefined ? null : { pid: change.owner.pid, command: change.owner.command },
    id: change.id,
    inode: change.inode,
    netns: change.netns,
    seenBy: change.how,
    ...(change.lifeMs === undefined ? {} : { lifeMs: round3(change.lifeMs) }),
  };
}

export function traceSummaryJson(summary: TraceSummary) {
  return {
    spanMs: round3(summary.spanMs),
    changes: summary.changes,
    dropped: summary.dropped,
    transitions: summary.transitions,
    stays: summary.stays.map((s) => ({
      ...s,
      p50: round3(s.p50),
      p90: round3(s.p90),
      p99: round3(s.p99),
      max: round3(s.max),
    })),
    connections: summary.connections,
    shortLived: summary.shortLived,
  };
}

/** The second's ISO text up to the dot, computed once per second of changes rather than once per change. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, for the years 1970–9999. */
function isoTime(wallMs: number): string {
  const ms = Math.floor(wallMs);
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return `${isoPrefix}${String(ms - second * 1000).padStart(3, '0')}Z`;
}

/**
 * One `--ndjson` line for a change, byte for byte `JSON.stringify(traceChangeJson(...))`, written straight into a
 * string: at thousands of changes a second the intermediate object and the generic serializer were the largest
 * share of Node's cost per change. Only the process name can need escaping; every other string is an address,
 * a state or an id.
 */
export function traceChangeNdjson(change: StateChange, wallOffsetMs: number, startedAtMs: number): string {
  const beganBefore =
    change.stayMs === undefined &&
    change.from !== 'CLOSED' &&
    !(change.from === 'LISTEN' && change.to === 'SYN_RECEIVED');
  const owner = change.owner;
  return (
    `{"time":"${isoTime(change.atMs + wallOffsetMs)}","monotonicMs":${round3(change.atMs)}` +
    `,"from":"${change.from}","to":"${change.to}","stayMs":${change.stayMs === undefined ? 'null' : round3(change.stayMs)}` +
    (beganBefore ? `,"stayAtLeastMs":${round3(Math.max(0, change.atMs - startedAtMs))}` : '') +
    `,"family":"${change.family}","local":{"address":"${change.local.address}","port":${change.local.port ?? null}}` +
    `,"remote":{"address":"${change.remote.address}","port":${change.remote.port ?? null}}` +
    `,"process":${owner === undefined ? 'null' : `{"pid":${owner.pid},"command":${JSON.stringify(owner.command)}}`}` +
    `,"id":"${change.id}","inode":${change.inode},"netns":${change.netns},"seenBy":"${change.how}"` +
    (change.lifeMs === undefined ? '' : `,"lifeMs":${round3(change.lifeMs)}`) +
    '}'
  );
}
