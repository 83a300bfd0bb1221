import { stateName, TCP_STATES, type TcpState } from '../states/states.ts';
import { RFC_EDGES } from './transitions.ts';

/** What the dashboard shows when a state is clicked. src/states' `explain` data plugs in through the same shape. */
export interface StateExplanation {
  state: TcpState;
  /** RFC spelling, `TIME-WAIT`. */
  name: string;
  /** One paragraph: what the state means and which side is in it. */
  summary: string;
  /** States it is entered from and left to, per RFC 9293 Figure 5. */
  from: TcpState[];
  to: TcpState[];
  /** The timer that bounds it, if any. */
  timer?: string;
  /** Anything more the explainer provides (misconceptions, per-OS timers, Chinese text ...). */
  details?: Record<string, unknown>;
}

export type StateExplainer = (state: TcpState) => StateExplanation;

/** Short built-in texts, used until (or unless) a fuller explainer is passed to the server. */
const SUMMARY: Record<TcpState, { summary: string; timer?: string }> = {
  LISTEN: {
    summary:
      'A server socket waiting for connection requests (SYNs). On Linux its Recv-Q is the number of connections waiting to be accept()ed.',
  },
  SYN_SENT: {
    summary:
      'The active opener sent a SYN and waits for the SYN-ACK. Many at once usually mean an unreachable or overloaded destination, or a firewall dropping SYNs.',
    timer:
      'connection establishment: Linux retries the SYN tcp_syn_retries times (about 2 minutes by default)',
  },
  SYN_RECEIVED: {
    summary:
      'The passive side received a SYN and answered with a SYN-ACK; it waits for the final ACK of the handshake. Many at once suggest a SYN flood or lost final ACKs.',
    timer: 'SYN-ACK retransmission: tcp_synack_retries (about 1 minute by default)',
  },
  ESTABLISHED: {
    summary:
      'The handshake completed; data flows both ways. This is where a healthy connection spends its life.',
    timer: 'none by default (keepalive only if the application enables it)',
  },
  FIN_WAIT_1: {
    summary:
      'This side closed first and sent its FIN; it waits for the FIN to be acknowledged. Long stays mean the peer is not acknowledging (unreachable, zero window).',
    timer: 'FIN retransmission; orphans give up after tcp_orphan_retries',
  },
  FIN_WAIT_2: {
    summary:
      "This side's FIN was acknowledged; it waits for the peer's FIN. Half-closed: the peer may still send data.",
    timer: 'orphaned sockets only: tcp_fin_timeout (60 s on Linux)',
  },
  CLOSE_WAIT: {
    summary:
      'The peer closed (its FIN arrived) and this application has not closed its socket yet. Many, or old ones, point to an application that does not close sockets: a leak.',
    timer: 'none: only the application can leave CLOSE-WAIT, by calling close()',
  },
  CLOSING: {
    summary:
      "Both sides closed at the same time: the peer's FIN arrived before our own FIN was acknowledged (simultaneous close). It is not entered by a timer.",
    timer: 'FIN retransmission',
  },
  LAST_ACK: {
    summary:
      'The peer closed first, then this side closed and sent its FIN; it waits for the final ACK. Long stays mean that ACK is being lost.',
    timer: 'FIN retransmission',
  },
  TIME_WAIT: {
    summary:
      'The side that closed first waits so late segments of this connection die out and the final ACK can be resent. Many are normal on a busy host that closes first; they only hurt when they exhaust ephemeral ports towards one destination.',
    timer: '2 x MSL (Maximum Segment Lifetime); Linux uses a fixed 60 s',
  },
  CLOSED: {
    summary:
      'No connection: the fictional state before a connection exists and after it is gone. Sockets are rarely seen in it (Linux shows CLOSE for a socket that is neither bound to a connection nor listening).',
  },
};

export function builtinExplanation(state: TcpState): StateExplanation {
  const text = SUMMARY[state];
  const out: StateExplanation = {
    state,
    name: stateName(state, 'rfc'),
    summary: text.summary,
    from: RFC_EDGES.filter(([, to]) => to === state).map(([from]) => from),
    to: RFC_EDGES.filter(([from]) => from === state).map(([, to]) => to),
  };
  if (text.timer) out.timer = text.timer;
  return out;
}

export function allExplanations(explain: StateExplainer): StateExplanation[] {
  return TCP_STATES.map((s) => explain(s));
}
