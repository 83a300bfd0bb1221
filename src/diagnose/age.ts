import type { Socket } from '../model/snapshot.ts';

/**
 * How long a socket has been in its state, as far as one look can tell. Exact only where the kernel runs a timer
 * of known length from the moment the state began (TIME_WAIT, an orphaned FIN_WAIT_2); a lower bound where a
 * retransmission count implies elapsed backoff (SYN_SENT, SYN_RECEIVED); otherwise unknown.
 */
export interface StateAge {
  /** Seconds in the state (exact) or at least this many (lowerBound). */
  seconds: number;
  kind: 'exact' | 'lowerBound';
  /** Where the figure comes from, for the evidence. */
  from: string;
}

/** Linux TCP_TIMEWAIT_LEN (include/net/tcp.h): fixed at 60 s, not tunable. */
export const LINUX_TIME_WAIT_SEC = 60;
/** The initial retransmission timeout for SYN and SYN-ACK (TCP_TIMEOUT_INIT, RFC 6298): 1 s. */
const INITIAL_RTO_SEC = 1;

/**
 * The state age of one socket. `finTimeoutSec` is net.ipv4.tcp_fin_timeout when known (the length of the
 * timer of an orphaned FIN_WAIT_2, which Linux keeps as a time-wait mini socket).
 */
export interface AgeOptions {
  os?: string;
  finTimeoutSec?: number;
  /** net.ipv4.tcp_syn_linear_timeouts (Linux >= 6.5); 'exponential' for older kernels; absent when unknown. */
  synLinearTimeouts?: number | 'exponential';
}

/**
 * Seconds that must have passed after `n` retransmissions of a handshake segment with a 1 s initial RTO. Linux >= 6.5
 * retransmits SYNs `linear` times at 1 s before doubling (RTOs 1,1,1,1,1,2,4,... for 4), SYN-ACKs always double.
 * Without knowing the kernel, only `n` seconds is certain (one initial RTO per retransmission).
 */
export function handshakeElapsedSec(n: number, linear: number | 'exponential' | 'unknown'): number {
  if (linear === 'unknown') return n * INITIAL_RTO_SEC;
  if (linear === 'exponential') return INITIAL_RTO_SEC * (2 ** n - 1);
  if (n <= linear + 1) return n * INITIAL_RTO_SEC;
  return INITIAL_RTO_SEC * (linear + 1 + 2 ** (n - linear) - 2);
}

export function stateAge(s: Socket, opts: AgeOptions = {}): StateAge | undefined {
  const linux = (opts.os ?? 'linux') === 'linux';
  const timer = s.timer;
  if (linux && timer?.kind === 'timewait') {
    const remaining = Math.max(0, timer.expiresMs / 1000);
    if (s.state === 'TIME_WAIT')
      return {
        seconds: Math.max(0, LINUX_TIME_WAIT_SEC - remaining),
        kind: 'exact',
        from: `timewait timer ${remaining.toFixed(1)}s left of ${LINUX_TIME_WAIT_SEC}s`,
      };
    if (s.state === 'FIN_WAIT_2' && opts.finTimeoutSec !== undefined)
      return {
        seconds: Math.max(0, opts.finTimeoutSec - remaining),
        kind: 'exact',
        from: `FIN_WAIT_2 timer ${remaining.toFixed(1)}s left of tcp_fin_timeout ${opts.finTimeoutSec}s`,
      };
  }
  if (s.state === 'SYN_SENT' || s.state === 'SYN_RECEIVED') {
    const n = s.retransmits ?? s.timer?.retransmits;
    if (n !== undefined && n > 0) {
      const model = !linux
        ? 'unknown'
        : s.state === 'SYN_RECEIVED'
          ? 'exponential'
          : (opts.synLinearTimeouts ?? 'unknown');
      return {
        seconds: handshakeElapsedSec(n, model),
        kind: 'lowerBound',
        from: `${n} ${s.state === 'SYN_SENT' ? 'SYN' : 'SYN-ACK'} retransmission${n === 1 ? '' : 's'}`,
      };
    }
  }
  return undefined;
}

/** The oldest known age among sockets, and how many of them had any age at all. */
export function oldestAge(
  sockets: readonly Socket[],
  opts: AgeOptions = {},
): { oldest: StateAge | undefined; known: number } {
  let oldest: StateAge | undefined;
  let known = 0;
  for (const s of sockets) {
    const a = stateAge(s, opts);
    if (!a) continue;
    known++;
    if (!oldest || a.seconds > oldest.seconds) oldest = a;
  }
  return { oldest, known };
}

/** `12s`, `at least 7s`, for titles and evidence. */
export function describeAge(a: StateAge): string {
  const s = `${Math.round(a.seconds)}s`;
  return a.kind === 'exact' ? s : `at least ${s}`;
}

/**
 * How long a socket has received nothing, from tcp_info (netlink reader): the smaller of last_data_recv and
 * last_ack_recv, in seconds. For CLOSE_WAIT it is a lower bound of the time in the state (the peer's FIN came at
 * least that long ago, and nothing since), an estimate; undefined without tcp_info.
 */
export function idleSec(socket: Socket): number | undefined {
  const i = socket.tcpInfo;
  return i === undefined ? undefined : Math.min(i.lastDataRecvMs, i.lastAckRecvMs) / 1000;
}
