/**
 * Anomalies that can only be judged once a connection is over (or the capture ended): unanswered SYNs, stuck
 * half-closes, retransmission and zero-window totals. Per-segment anomalies are noted by infer.ts as they happen.
 */
import { plural, times } from '../render/format.ts';
import { type ConnectionLike, S, type SideLike } from './conn.ts';

function name(conn: ConnectionLike, side: SideLike): 'orig' | 'resp' {
  return side === conn.orig ? 'orig' : 'resp';
}

export function finishAnomalies(conn: ConnectionLike, at: number, stuckAfter: number): void {
  const { orig, resp } = conn;
  if (orig.synCount > 0 && resp.pkts === 0) {
    conn.note({
      kind: 'unanswered-syn',
      at: orig.firstSynAt,
      side: 'orig',
      message: `SYN sent ${times(orig.synCount)}, never answered (no SYN-ACK, no RST)`,
      value: orig.synCount,
    });
  } else if (orig.synCount > 1) {
    conn.note({
      kind: 'syn-retransmitted',
      at: orig.firstSynAt,
      side: 'orig',
      message: `SYN sent ${times(orig.synCount)} before an answer`,
      value: orig.synCount,
    });
  }
  // An indexed loop: a for-of over [orig, resp] allocated an array and an iterator per connection.
  for (let k = 0; k < 2; k++) {
    const side = k === 0 ? orig : resp;
    const who = name(conn, side);
    if (side.rxmt > 0) {
      conn.note({
        kind: 'retransmissions',
        at,
        side: who,
        message: `${who} retransmitted ${plural(side.rxmt, 'data segment')}`,
        value: side.rxmt,
      });
    }
    if (side.zeroWin > 0) {
      conn.note({
        kind: 'zero-window',
        at,
        side: who,
        message: `${who} advertised a zero window ${times(side.zeroWin)} (its receive buffer was full)`,
        value: side.zeroWin,
      });
    }
    if (side.badCsum > 0) {
      conn.note({
        kind: 'bad-checksum',
        at,
        side: who,
        message: `${plural(side.badCsum, 'segment')} from ${who} with a bad TCP checksum ${side.badCsum === 1 ? 'was' : 'were'} ignored`,
        value: side.badCsum,
      });
    }
    if (side.rfc === S.CLOSE_WAIT || side.rfc === S.FIN_WAIT_2) {
      const since = side.enteredAt();
      const lasted = at - since;
      if (lasted >= stuckAfter) {
        conn.note({
          kind: 'stuck-half-close',
          at: since,
          side: who,
          message:
            side.rfc === S.CLOSE_WAIT
              ? `${who} sat in CLOSE_WAIT for ${lasted.toFixed(1)} s: its application never closed the socket`
              : `${who} sat in FIN_WAIT_2 for ${lasted.toFixed(1)} s: the peer never closed its side`,
          value: lasted,
        });
      }
    }
  }
}
