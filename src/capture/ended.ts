/**
 * A connection at the moment it is handed over, read in place from the flat store: one reused object per tracker
 * (a flyweight), re-pointed at each ended connection's slot and valid only during the hand-over. It has the same
 * fields as the rich `Connection` (accessors generated from the record declaration in layout.ts), so the conn_state
 * tally, the Zeek line and the JSON record are made from it without building anything; `connection()` builds the
 * rich object for a caller that keeps it (the library's onConnection, --at, --timeline).
 */

import { formatAddress, formatIpv4 } from '../internal/address.ts';
import type { TcpState } from '../states/states.ts';
import { TCP_STATES } from '../states/states.ts';
import type { Anomaly, Connection } from './conn.ts';
import type { FlowStore } from './flows.ts';
import {
  CONN_DOUBLES_STRIDE,
  CONN_FIELDS,
  CONN_INTS_STRIDE,
  type ConnFields,
  defineViewAccessors,
  SIDE_DOUBLES_STRIDE,
  SIDE_FIELDS,
  SIDE_INTS_STRIDE,
  type SideFields,
} from './layout.ts';

/** One endpoint of the connection being handed over. */
class EndedSideObject {
  readonly st: FlowStore;
  /** Side number, and where its doubles and integers start. */
  s = 0;
  d = 0;
  i = 0;
  family: 4 | 6 = 4;

  constructor(st: FlowStore) {
    this.st = st;
  }

  at(s: number, family: 4 | 6): void {
    this.s = s;
    this.d = s * SIDE_DOUBLES_STRIDE;
    this.i = s * SIDE_INTS_STRIDE;
    this.family = family;
  }

  get address(): string {
    const side = this as unknown as EndedSide;
    return this.family === 4 ? formatIpv4(side.w3) : formatAddress(6, [side.w0, side.w1, side.w2, side.w3]);
  }

  get state(): TcpState | undefined {
    const rfc = (this as unknown as EndedSide).rfc;
    return rfc < 0 ? undefined : TCP_STATES[rfc];
  }

  /** Time the side entered its current state (NaN if it has none). */
  enteredAt(): number {
    const n = this.st.trLen(this.s);
    return n > 0 ? this.st.trTime(this.s, n - 1) : Number.NaN;
  }

  historyLength(): number {
    return this.st.trLen(this.s);
  }

  historyState(k: number): number {
    return this.st.trState(this.s, k);
  }

  historyTime(k: number): number {
    return this.st.trTime(this.s, k);
  }

  history(): Array<{ state: TcpState; at: number; assumed?: true }> {
    const out: Array<{ state: TcpState; at: number; assumed?: true }> = [];
    const assumed = (this as unknown as EndedSide).assumedStart;
    const n = this.st.trLen(this.s);
    for (let k = 0; k < n; k++) {
      const entry: { state: TcpState; at: number; assumed?: true } = {
        state: TCP_STATES[this.st.trState(this.s, k)]!,
        at: this.st.trTime(this.s, k),
      };
      if (k === 0 && assumed) entry.assumed = true;
      out.push(entry);
    }
    return out;
  }
}
defineViewAccessors(EndedSideObject.prototype, SIDE_FIELDS, 'side');

export type EndedSide = EndedSideObject & SideFields;

class EndedConnectionObject {
  readonly st: FlowStore;
  c = 0;
  d = 0;
  i = 0;
  family: 4 | 6 = 4;
  readonly orig: EndedSide;
  readonly resp: EndedSide;
  endReason: Connection['endReason'] = 'end';
  private rich: Connection | undefined;

  constructor(st: FlowStore) {
    this.st = st;
    this.orig = new EndedSideObject(st) as EndedSide;
    this.resp = new EndedSideObject(st) as EndedSide;
  }

  /** Points the view at slot c, which ended for `reason`. */
  at(c: number, reason: Connection['endReason']): void {
    this.c = c;
    this.d = c * CONN_DOUBLES_STRIDE;
    this.i = c * CONN_INTS_STRIDE;
    const family = this.st.family(c);
    this.family = family;
    const o = this.st.orig(c);
    this.orig.at(o, family);
    this.resp.at(o ^ 1, family);
    this.endReason = reason;
    this.rich = undefined;
  }

  get history(): string {
    return this.st.history(this.c);
  }

  get anomalies(): Anomaly[] | undefined {
    return this.st.anomalies[this.c];
  }

  note(anomaly: Anomaly): void {
    this.st.note(this.c, anomaly);
  }

  /** The rich object, built on the first call during this hand-over. */
  connection(): Connection {
    if (this.rich === undefined) {
      this.rich = this.st.materialize(this.c);
      this.rich.endReason = this.endReason;
    }
    return this.rich;
  }
}
defineViewAccessors(EndedConnectionObject.prototype, CONN_FIELDS, 'conn');

export type EndedConnection = EndedConnectionObject & ConnFields;

export function endedView(st: FlowStore): EndedConnection {
  return new EndedConnectionObject(st) as EndedConnection;
}
