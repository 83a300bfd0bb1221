/**
 * A connection's JSON record (record.ts's `connectionRecord`) written straight from its fields into bytes: byte
 * for byte what `JSON.stringify` makes of that record, compact (an `--ndjson` line) or as `JSON.stringify(record,
 * null, 2)` nested in the `--json` document. At a hundred thousand connections building the record object and
 * serialising it (or joining its text from pieces) was most of what the output cost; here nothing is built but
 * the bytes.
 *
 * Strings that could need escaping (anomaly messages) go through JSON.stringify; the others are addresses as
 * formatted, state and reason names, and Zeek history letters, which are plain ASCII.
 */

import { TextBytes } from '../render/text-bytes.ts';
import { TCP_STATES } from '../states/states.ts';
import { type Anomaly, type ConnectionLike, type SideLike, ZEEK_ENDPOINT_STATES } from './conn.ts';
import type { ConnState } from './zeek.ts';

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

/** A number as JSON.stringify writes it: null for NaN and the infinities. */
function num(out: TextBytes, x: number): void {
  if (Number.isFinite(x)) out.number(x);
  else out.bytes(NULL);
}
const NULL = ascii('null');

/**
 * A capture time as `String(t)` writes it, fast. Capture times are whole microseconds (pcap's resolution) after
 * the epoch; for such a t the shortest decimal that reads back as t, which is what String prints, is the
 * microseconds' decimal with its trailing zeros dropped: below 2^33 s a double's spacing is under a microsecond,
 * so no other decimal of six places or fewer reads back as t. It is checked (the integer count of microseconds,
 * divided by a million with IEEE rounding, is the double nearest that decimal); any other time (nanosecond
 * captures, a time computed from others) is printed by String. Printing a fractional double was the dearest step
 * of a record.
 */
export function time(out: TextBytes, t: number): void {
  if (t >= 1 && t < 8589934592) {
    const micros = Math.round(t * 1e6);
    if (micros / 1e6 === t) {
      const seconds = Math.floor(micros / 1e6);
      out.number(seconds);
      let fraction = micros - seconds * 1e6;
      if (fraction === 0) return;
      let width = 6;
      while (fraction % 10 === 0) {
        fraction /= 10;
        width--;
      }
      out.room(width + 1);
      const buf = out.buf;
      let p = out.pos + width + 1;
      out.pos = p;
      for (let k = 0; k < width; k++) {
        const q = Math.floor(fraction / 10);
        buf[--p] = 48 + (fraction - q * 10);
        fraction = q;
      }
      buf[--p] = 0x2e;
      return;
    }
  }
  num(out, t);
}

const quoted = (names: readonly string[]) => names.map((n) => ascii(`"${n}"`));
const TCP_STATE_JSON = quoted(TCP_STATES);
const ZEEK_STATE_JSON = quoted(ZEEK_ENDPOINT_STATES);
const INET = ascii('"inet"');
const INET6 = ascii('"inet6"');

/**
 * The fixed text between the values for one layout: each `"key":` with what precedes it (a comma, and in the
 * pretty layout a newline and the indentation of its depth).
 */
function fragments(pad: string | undefined) {
  const nl = (depth: number) => (pad === undefined ? '' : `\n${pad}${'  '.repeat(depth)}`);
  const colon = pad === undefined ? ':' : ': ';
  const key = (depth: number, name: string, first = false) =>
    `${first ? '' : ','}${nl(depth)}"${name}"${colon}`;
  const k1 = (name: string) => ascii(key(1, name));
  const k2 = (name: string, first = false) => ascii(key(2, name, first));
  return {
    open: ascii(`{${key(1, 'id', true)}`),
    openTyped: ascii(`{${key(1, 'type', true)}"connection"${key(1, 'id')}`),
    close: ascii(`${nl(0)}}`),
    family: k1('family'),
    start: k1('start'),
    end: k1('end'),
    duration: k1('duration'),
    connState: k1('connState'),
    history: k1('history'),
    endReason: k1('endReason'),
    orig: k1('orig'),
    resp: k1('resp'),
    anomalies: k1('anomalies'),
    rttToSynAck: ascii(`${key(1, 'rtt')}{${key(2, 'synToSynAck', true)}`),
    rttToAck: ascii(`${key(1, 'rtt')}{${key(2, 'synAckToAck', true)}`),
    toAck: k2('synAckToAck'),
    objectClose: ascii(`${nl(1)}}`),
    address: ascii(`{${key(2, 'address', true)}"`),
    port: ascii(`"${key(2, 'port')}`),
    packets: k2('packets'),
    ipBytes: k2('ipBytes'),
    payloadBytes: k2('payloadBytes'),
    state: k2('state'),
    states: k2('states'),
    zeekState: k2('zeekState'),
    syns: k2('syns'),
    fins: k2('fins'),
    rsts: k2('rsts'),
    retransmissions: k2('retransmissions'),
    zeroWindows: k2('zeroWindows'),
    mss: k2('mss'),
    windowScale: k2('windowScale'),
    sackPermitted: ascii(`${key(2, 'sackPermitted')}true`),
    timestamps: ascii(`${key(2, 'timestamps')}true`),
    firstEntry: ascii(`[${nl(3)}{${key(4, 'state', true)}`),
    nextEntry: ascii(`,${nl(3)}{${key(4, 'state', true)}`),
    entryAt: ascii(key(4, 'at')),
    entryAssumed: ascii(`${key(4, 'assumed')}true`),
    entryClose: ascii(`${nl(3)}}`),
    statesClose: ascii(`${nl(2)}]`),
    firstAnomaly: ascii(`[${nl(2)}`),
    nextAnomaly: ascii(`,${nl(2)}`),
    anomaliesClose: ascii(`${nl(1)}]`),
    emptyArray: ascii('[]'),
    quote: ascii('"'),
    /** An anomaly as an array item: compact, or pretty and re-indented to its depth. */
    anomaly:
      pad === undefined
        ? (a: Anomaly) => JSON.stringify(a)
        : (a: Anomaly) => JSON.stringify(a, null, 2).replaceAll('\n', nl(2)),
  };
}
type Fragments = ReturnType<typeof fragments>;

const COMPACT = fragments(undefined);
/** Pretty fragments by the indentation of the document the record is nested in. */
const pretty = new Map<string, Fragments>();

function side(out: TextBytes, s: SideLike, f: Fragments): void {
  out.bytes(f.address);
  out.ascii(s.address);
  out.bytes(f.port);
  out.number(s.port);
  out.bytes(f.packets);
  num(out, s.pkts);
  out.bytes(f.ipBytes);
  num(out, s.ipBytes);
  out.bytes(f.payloadBytes);
  num(out, s.payloadBytes);
  // An unknown state is left out, as JSON.stringify leaves out an undefined field.
  if (s.rfc >= 0) {
    out.bytes(f.state);
    out.bytes(TCP_STATE_JSON[s.rfc]!);
  }
  out.bytes(f.states);
  const n = s.historyLength();
  if (n === 0) {
    out.bytes(f.emptyArray);
  } else {
    for (let k = 0; k < n; k++) {
      out.bytes(k === 0 ? f.firstEntry : f.nextEntry);
      out.bytes(TCP_STATE_JSON[s.historyState(k)]!);
      out.bytes(f.entryAt);
      time(out, s.historyTime(k));
      if (k === 0 && s.assumedStart) out.bytes(f.entryAssumed);
      out.bytes(f.entryClose);
    }
    out.bytes(f.statesClose);
  }
  out.bytes(f.zeekState);
  out.bytes(ZEEK_STATE_JSON[s.z]!);
  out.bytes(f.syns);
  out.number(s.synCount);
  out.bytes(f.fins);
  out.number(s.finCount);
  out.bytes(f.rsts);
  out.number(s.rstCount);
  out.bytes(f.retransmissions);
  out.number(s.rxmt);
  out.bytes(f.zeroWindows);
  out.number(s.zeroWin);
  if (s.mss) {
    out.bytes(f.mss);
    out.number(s.mss);
  }
  if (s.wscale >= 0) {
    out.bytes(f.windowScale);
    out.number(s.wscale);
  }
  if (s.sackPermitted) out.bytes(f.sackPermitted);
  if (s.timestamps) out.bytes(f.timestamps);
  out.bytes(f.objectClose);
}

function write(out: TextBytes, conn: ConnectionLike, state: ConnState, f: Fragments, open: Uint8Array): void {
  const start = conn.start;
  const end = conn.last;
  out.bytes(open);
  out.number(conn.id);
  out.bytes(f.family);
  out.bytes(conn.family === 4 ? INET : INET6);
  out.bytes(f.start);
  time(out, start);
  out.bytes(f.end);
  time(out, end);
  out.bytes(f.duration);
  num(out, end - start);
  out.bytes(f.connState);
  out.bytes(f.quote);
  out.ascii(state);
  out.bytes(f.quote);
  out.bytes(f.history);
  out.bytes(f.quote);
  out.ascii(conn.history);
  out.bytes(f.quote);
  out.bytes(f.endReason);
  out.bytes(f.quote);
  out.ascii(conn.endReason);
  out.bytes(f.quote);
  out.bytes(f.orig);
  side(out, conn.orig, f);
  out.bytes(f.resp);
  side(out, conn.resp, f);
  out.bytes(f.anomalies);
  const anomalies = conn.anomalies;
  if (anomalies === undefined || anomalies.length === 0) {
    out.bytes(f.emptyArray);
  } else {
    for (let k = 0; k < anomalies.length; k++) {
      out.bytes(k === 0 ? f.firstAnomaly : f.nextAnomaly);
      out.text(f.anomaly(anomalies[k]!));
    }
    out.bytes(f.anomaliesClose);
  }
  const toSynAck = conn.rttSynToSynAck;
  const toAck = conn.rttSynAckToAck;
  if (!Number.isNaN(toSynAck)) {
    out.bytes(f.rttToSynAck);
    num(out, toSynAck);
    if (!Number.isNaN(toAck)) {
      out.bytes(f.toAck);
      num(out, toAck);
    }
    out.bytes(f.objectClose);
  } else if (!Number.isNaN(toAck)) {
    out.bytes(f.rttToAck);
    num(out, toAck);
    out.bytes(f.objectClose);
  }
  out.bytes(f.close);
}

/** Writes `JSON.stringify({ type: 'connection', ...connectionRecord(conn) })` and a newline: an `--ndjson` line. */
export function writeConnectionNdjson(out: TextBytes, conn: ConnectionLike, state: ConnState): void {
  write(out, conn, state, COMPACT, COMPACT.openTyped);
  out.room(1);
  out.buf[out.pos++] = 0x0a;
  out.done();
}

/**
 * Writes `JSON.stringify(connectionRecord(conn), null, 2)` with every line after the first indented by `pad`:
 * the record as an item of the `--json` document's array.
 */
export function writeConnectionJson(
  out: TextBytes,
  conn: ConnectionLike,
  state: ConnState,
  pad: string,
): void {
  let f = pretty.get(pad);
  if (f === undefined) {
    f = fragments(pad);
    pretty.set(pad, f);
  }
  write(out, conn, state, f, f.open);
  out.done();
}

/** The text writeConnection* writes, as a string (for tests and small uses). */
function asText(writeTo: (out: TextBytes) => void): string {
  const chunks: Buffer[] = [];
  const out = new TextBytes((chunk) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }, 1 << 12);
  writeTo(out);
  out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

/** `JSON.stringify({ type: 'connection', ...connectionRecord(conn) })`, without the newline. */
export function connectionNdjson(conn: ConnectionLike, state: ConnState): string {
  return asText((out) => writeConnectionNdjson(out, conn, state)).slice(0, -1);
}

/** `JSON.stringify(connectionRecord(conn), null, 2)`, its lines after the first indented by `pad`. */
export function connectionJson(conn: ConnectionLike, state: ConnState, pad: string): string {
  return asText((out) => writeConnectionJson(out, conn, state, pad));
}
