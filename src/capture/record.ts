/**
 * Plain, JSON-ready records of finished connections, and Zeek conn.log lines.
 */
import type { TcpState } from '../states/states.ts';
import {
  type Anomaly,
  type Connection,
  type ConnectionLike,
  type SideLike,
  ZEEK_ENDPOINT_STATES,
} from './conn.ts';
import { type ConnState, connState, size } from './zeek.ts';

export interface EndpointRecord {
  address: string;
  port: number;
  packets: number;
  /** IP bytes (headers included), as Zeek's *_ip_bytes. */
  ipBytes: number;
  /** TCP payload bytes sent, retransmissions included. */
  payloadBytes: number;
  /** Final inferred RFC state (undefined when this side was never seen nor implied). */
  state: TcpState | undefined;
  /** Every state with the time it was entered; the first may be assumed (LISTEN, or ESTABLISHED mid-stream). */
  states: Array<{ state: TcpState; at: number; assumed?: true }>;
  /** Zeek's endpoint state (INACTIVE, SYN_SENT, ..., CLOSED = sent a FIN, RESET = sent a RST). */
  zeekState: (typeof ZEEK_ENDPOINT_STATES)[number];
  syns: number;
  fins: number;
  rsts: number;
  retransmissions: number;
  zeroWindows: number;
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  timestamps?: boolean;
}

export interface ConnectionRecord {
  id: number;
  family: 'inet' | 'inet6';
  start: number;
  end: number;
  duration: number;
  connState: ConnState;
  history: string;
  endReason: Connection['endReason'];
  orig: EndpointRecord;
  resp: EndpointRecord;
  /** Handshake round trips seen from the capture point, seconds. */
  rtt?: { synToSynAck?: number; synAckToAck?: number };
  anomalies: Anomaly[];
}

function endpoint(side: SideLike): EndpointRecord {
  const rec: EndpointRecord = {
    address: side.address,
    port: side.port,
    packets: side.pkts,
    ipBytes: side.ipBytes,
    payloadBytes: side.payloadBytes,
    state: side.state,
    states: side.history(),
    zeekState: ZEEK_ENDPOINT_STATES[side.z]!,
    syns: side.synCount,
    fins: side.finCount,
    rsts: side.rstCount,
    retransmissions: side.rxmt,
    zeroWindows: side.zeroWin,
  };
  if (side.mss) rec.mss = side.mss;
  if (side.wscale >= 0) rec.windowScale = side.wscale;
  if (side.sackPermitted) rec.sackPermitted = true;
  if (side.timestamps) rec.timestamps = true;
  return rec;
}

export function connectionRecord(conn: ConnectionLike): ConnectionRecord {
  const rec: ConnectionRecord = {
    id: conn.id,
    family: conn.family === 4 ? 'inet' : 'inet6',
    start: conn.start,
    end: conn.last,
    duration: conn.last - conn.start,
    connState: connState(conn),
    history: conn.history,
    endReason: conn.endReason,
    orig: endpoint(conn.orig),
    resp: endpoint(conn.resp),
    anomalies: conn.anomalies ?? [],
  };
  const rtt: { synToSynAck?: number; synAckToAck?: number } = {};
  if (!Number.isNaN(conn.rttSynToSynAck)) rtt.synToSynAck = conn.rttSynToSynAck;
  if (!Number.isNaN(conn.rttSynAckToAck)) rtt.synAckToAck = conn.rttSynAckToAck;
  if (rtt.synToSynAck !== undefined || rtt.synAckToAck !== undefined) rec.rtt = rtt;
  return rec;
}

export const ZEEK_CONN_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'local_orig',
  'local_resp',
  'missed_bytes',
  'history',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'tunnel_parents',
] as const;

const TYPES = [
  'time',
  'string',
  'addr',
  'port',
  'addr',
  'port',
  'enum',
  'string',
  'interval',
  'count',
  'count',
  'string',
  'bool',
  'bool',
  'count',
  'string',
  'count',
  'count',
  'count',
  'count',
  'set[string]',
];

/** The header of a Zeek conn.log (TSV). */
export function zeekHeader(openedAt: Date): string {
  const stamp = openedAt.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${stamp}`,
    `#fields\t${ZEEK_CONN_FIELDS.join('\t')}`,
    `#types\t${TYPES.join('\t')}`,
  ].join('\n');
}

export function zeekFooter(closedAt: Date): string {
  return `#close\t${closedAt.toISOString().slice(0, 19).replace(/[T:]/g, '-')}`;
}

const UID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Zeek-looking uid, deterministic per connection id. */
function uid(id: number): string {
  let x = (Math.imul(id, 0x9e3779b1) >>> 0) * 65536 + id;
  let out = 'C';
  while (out.length < 18) {
    out += UID_ALPHABET[x % 62];
    x = Math.floor(x / 62) + id * 7919;
  }
  return out;
}

/** One conn.log line. `duration` ends at the last packet before both sides closed, as in Zeek. */
export function zeekLine(conn: ConnectionLike): string {
  const duration = conn.zLast - conn.start;
  return [
    conn.start.toFixed(6),
    uid(conn.id),
    conn.orig.address,
    conn.orig.port,
    conn.resp.address,
    conn.resp.port,
    'tcp',
    '-',
    duration.toFixed(6),
    size(conn.orig),
    size(conn.resp),
    connState(conn),
    '-',
    '-',
    0,
    conn.history === '' ? '-' : conn.history,
    conn.orig.pkts,
    conn.orig.ipBytes,
    conn.resp.pkts,
    conn.resp.ipBytes,
    '-',
  ].join('\t');
}
