/**
 * A Zeek conn.log line written straight from the connection's fields into bytes: byte for byte record.ts's
 * `zeekLine` (which stays the plain statement of the format), without building the twenty-one fields as strings
 * and joining them.
 */
import type { TextBytes } from '../render/text-bytes.ts';
import type { ConnectionLike } from './conn.ts';
import { connState, size } from './zeek.ts';

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const TAB = 0x09;
const TCP_EMPTY = ascii('\ttcp\t-\t');
const UNSET_UNSET_ZERO = ascii('\t-\t-\t0\t');
const UNSET_LINE_END = ascii('\t-\n');
const ALPHABET = ascii('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
/** Zeek uids have 18 characters: C and 17 from the alphabet. */
const UID_LENGTH = 18;

/**
 * `t.toFixed(6)` for a capture time. For whole microseconds (pcap's resolution) below 2^33 s, t is within half a
 * double's spacing (under half a microsecond) of its microsecond decimal, so rounding t to six places gives that
 * decimal: written from the integer count. Any other time goes through toFixed.
 */
export function fixed6(out: TextBytes, t: number): void {
  if (t >= 0 && t < 8589934592) {
    const micros = Math.round(t * 1e6);
    if (micros / 1e6 === t) {
      const seconds = Math.floor(micros / 1e6);
      out.number(seconds);
      let fraction = micros - seconds * 1e6;
      out.room(7);
      const buf = out.buf;
      let p = out.pos + 7;
      out.pos = p;
      for (let k = 0; k < 6; k++) {
        const q = Math.floor(fraction / 10);
        buf[--p] = 48 + (fraction - q * 10);
        fraction = q;
      }
      buf[--p] = 0x2e;
      return;
    }
  }
  out.ascii(t.toFixed(6));
}

/** record.ts's uid(): a Zeek-looking uid, deterministic per connection id. */
function uid(out: TextBytes, id: number): void {
  out.room(UID_LENGTH);
  const buf = out.buf;
  let p = out.pos;
  buf[p++] = 0x43;
  let x = (Math.imul(id, 0x9e3779b1) >>> 0) * 65536 + id;
  for (let k = 1; k < UID_LENGTH; k++) {
    buf[p++] = ALPHABET[x % 62]!;
    x = Math.floor(x / 62) + id * 7919;
  }
  out.pos = p;
}

function tab(out: TextBytes): void {
  out.room(1);
  out.buf[out.pos++] = TAB;
}

/** Writes `zeekLine(conn)` and a newline. */
export function writeZeekLine(out: TextBytes, conn: ConnectionLike): void {
  const orig = conn.orig;
  const resp = conn.resp;
  fixed6(out, conn.start);
  tab(out);
  uid(out, conn.id);
  tab(out);
  out.ascii(orig.address);
  tab(out);
  out.number(orig.port);
  tab(out);
  out.ascii(resp.address);
  tab(out);
  out.number(resp.port);
  out.bytes(TCP_EMPTY);
  out.ascii((conn.zLast - conn.start).toFixed(6));
  tab(out);
  out.number(size(orig));
  tab(out);
  out.number(size(resp));
  tab(out);
  out.ascii(connState(conn));
  out.bytes(UNSET_UNSET_ZERO);
  const history = conn.history;
  out.ascii(history === '' ? '-' : history);
  tab(out);
  out.number(orig.pkts);
  tab(out);
  out.number(orig.ipBytes);
  tab(out);
  out.number(resp.pkts);
  tab(out);
  out.number(resp.ipBytes);
  out.bytes(UNSET_LINE_END);
  out.done();
}
