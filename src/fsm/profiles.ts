/**
 * Stack profiles: the timer values and the documented deviations from RFC 9293 of real stacks
 * (the values and their sources: docs/timers.md; Linux 6.12, FreeBSD 13.0, xnu-11417, Windows references).
 */

export const PROFILE_NAMES = ['rfc', 'linux', 'freebsd', 'macos', 'windows'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  name: ProfileName;
  title: string;
  /** Maximum segment lifetime (ms); TIME-WAIT lasts `timeWait`, which is 2*MSL except on Linux. */
  msl: number;
  timeWait: number;
  /** Orphaned FIN-WAIT-2 timeout (ms), null = none (RFC). */
  finWait2: number | null;
  /** Connection-establishment timer (BSD keepinit), null = bounded by SYN retries only. */
  connEstablish: number | null;
  initialRto: number;
  minRto: number;
  maxRto: number;
  /** Linux adds the minimum RTO to the smoothed RTT (RTO = SRTT + max(rto_min, 4*RTTVAR)) instead of clamping. */
  rtoMinIsVariance: boolean;
  /**
   * Waits (ms) between successive SYN transmissions; after the last wait the connect fails. Length-1 = number of
   * SYN retransmissions.
   */
  synSchedule: readonly number[];
  /** SYN-ACK retransmissions before a passive embryonic connection is dropped. */
  synAckRetries: number;
  /** Data/FIN retransmissions before the connection is dropped (R2). */
  dataRetries: number;
  /** Default user timeout (ms) while data is outstanding; null = none (real stacks). */
  userTimeout: number | null;
  /** RFC 5961 challenge ACKs for in-window RSTs that are not exact, and for SYNs in synchronized states. */
  rfc5961: boolean;
  /** RFC 1337: ignore RST in TIME-WAIT. */
  rfc1337: boolean;
  /** A new SYN with a higher sequence number recycles a TIME-WAIT 4-tuple (RFC 1122 §4.2.2.13 / RFC 6191). */
  timeWaitSynReuse: boolean;
  /** close() with unread received data sends RST instead of FIN (RFC 2525 §2.17). */
  rstOnCloseWithUnread: boolean;
  /** A duplicate SYN in passive SYN-RECEIVED re-sends the SYN-ACK (request sockets / syncache) instead of an ACK. */
  dupSynResendsSynAck: boolean;
  /** Deviations in words, for `simulate --list` and the docs. */
  deviations: readonly string[];
}

const S = 1000;

function doubling(first: number, count: number, cap: number): number[] {
  const out: number[] = [];
  let rto = first;
  for (let i = 0; i < count; i++) {
    out.push(rto);
    rto = Math.min(rto * 2, cap);
  }
  return out;
}

export const PROFILES: Record<ProfileName, Profile> = {
  rfc: {
    name: 'rfc',
    title: 'RFC 9293 as written',
    msl: 120 * S,
    timeWait: 240 * S,
    finWait2: null,
    connEstablish: null,
    initialRto: 1 * S,
    minRto: 1 * S,
    maxRto: 60 * S,
    rtoMinIsVariance: false,
    // SYN R2 >= 3 minutes (MUST-23): 1+2+4+8+16+32+60+60 s = 183 s.
    synSchedule: doubling(1 * S, 8, 60 * S),
    synAckRetries: 7,
    dataRetries: 8,
    userTimeout: 300 * S,
    rfc5961: true,
    rfc1337: false,
    timeWaitSynReuse: false,
    rstOnCloseWithUnread: false,
    dupSynResendsSynAck: false,
    deviations: ['none: TIME-WAIT = 2*MSL = 240 s, RTO 1 s doubling, user timeout 5 min, SYN R2 >= 3 min'],
  },
  linux: {
    name: 'linux',
    title: 'Linux 6.x',
    msl: 30 * S,
    timeWait: 60 * S,
    finWait2: 60 * S,
    connEstablish: null,
    initialRto: 1 * S,
    minRto: 200,
    maxRto: 120 * S,
    rtoMinIsVariance: true,
    // tcp_syn_retries=6 with exponential backoff (kernels < 6.5, or tcp_syn_linear_timeouts=0): SYNs at
    // 0,1,3,7,15,31,63 s, connect() fails at 127 s. 6.5+ first retries linearly and fails at ~131 s.
    synSchedule: doubling(1 * S, 7, 120 * S),
    synAckRetries: 5,
    dataRetries: 15,
    userTimeout: null,
    rfc5961: true,
    rfc1337: false,
    timeWaitSynReuse: true,
    rstOnCloseWithUnread: true,
    dupSynResendsSynAck: true,
    deviations: [
      'TIME-WAIT is a fixed 60 s (TCP_TIMEWAIT_LEN), not 2*MSL',
      'an in-window RST kills TIME-WAIT (tcp_rfc1337=0)',
      'a SYN with a higher sequence number recycles a TIME-WAIT 4-tuple',
      'passive SYN-RECEIVED is a request socket: a duplicate SYN re-sends the SYN-ACK',
      'close() with unread data sends RST instead of FIN (no TIME-WAIT)',
      'orphaned FIN-WAIT-2 times out after tcp_fin_timeout = 60 s; data after close() draws RST',
      'RFC 5961 challenge ACKs for SYN and inexact RST',
      'connect() gives up after 6 SYN retries (~127 s), below the RFC 3 minutes',
      'minimum RTO 200 ms',
    ],
  },
  freebsd: {
    name: 'freebsd',
    title: 'FreeBSD 13',
    msl: 30 * S,
    timeWait: 60 * S,
    finWait2: 600 * S,
    connEstablish: 75 * S,
    initialRto: 1 * S,
    minRto: 230,
    maxRto: 64 * S,
    rtoMinIsVariance: false,
    synSchedule: doubling(1 * S, 13, 64 * S),
    synAckRetries: 3,
    dataRetries: 12,
    userTimeout: null,
    rfc5961: true,
    rfc1337: true,
    timeWaitSynReuse: true,
    rstOnCloseWithUnread: true,
    dupSynResendsSynAck: true,
    deviations: [
      'TIME-WAIT = 2*MSL with MSL 30 s = 60 s',
      'connection-establishment timer (keepinit) 75 s',
      'orphaned FIN-WAIT-2 dropped after 10 minutes (8 x 75 s keepalive probes)',
      'RST in TIME-WAIT ignored (RFC 1337)',
      'syncache: passive SYN-RECEIVED has no full socket; SYN-ACK retransmitted 3 times',
    ],
  },
  macos: {
    name: 'macos',
    title: 'macOS (xnu)',
    msl: 15 * S,
    timeWait: 30 * S,
    finWait2: 60 * S,
    connEstablish: 75 * S,
    initialRto: 1 * S,
    minRto: 230,
    maxRto: 64 * S,
    rtoMinIsVariance: false,
    synSchedule: [1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64, 64].map((s) => s * S),
    synAckRetries: 3,
    dataRetries: 12,
    userTimeout: null,
    rfc5961: true,
    rfc1337: true,
    timeWaitSynReuse: true,
    rstOnCloseWithUnread: true,
    dupSynResendsSynAck: true,
    deviations: [
      'MSL 15 s: TIME-WAIT 30 s',
      'connection-establishment timer 75 s, SYN backoff 1,1,1,1,1,2,4,8... s',
      'FIN-WAIT-2 timeout 60 s (net.inet.tcp.fin_timeout)',
      'RST in TIME-WAIT ignored (RFC 1337)',
    ],
  },
  windows: {
    name: 'windows',
    title: 'Windows',
    msl: 60 * S,
    timeWait: 120 * S,
    finWait2: null,
    connEstablish: null,
    initialRto: 3 * S,
    minRto: 300,
    maxRto: 60 * S,
    rtoMinIsVariance: false,
    // TcpMaxConnectRetransmissions = 2 with a 3 s initial RTO: SYNs at 0, 3, 9 s, failure at 21 s.
    synSchedule: [3, 6, 12].map((s) => s * S),
    synAckRetries: 2,
    dataRetries: 5,
    userTimeout: null,
    rfc5961: true,
    rfc1337: false,
    timeWaitSynReuse: true,
    rstOnCloseWithUnread: true,
    dupSynResendsSynAck: true,
    deviations: [
      'TIME-WAIT TcpTimedWaitDelay = 120 s (Windows Server 2003 and later)',
      'connect() gives up after 2 SYN retransmissions with a 3 s initial RTO (~21 s)',
      'data retransmissions give up after 5 (TcpMaxDataRetransmissions)',
    ],
  },
};

export function getProfile(name: string): Profile | undefined {
  return (PROFILES as Record<string, Profile>)[name];
}
