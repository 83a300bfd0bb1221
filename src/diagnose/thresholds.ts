/**
 * Default thresholds of every rule (each rule's threshold and why: docs/diagnoses.md). Each can be overridden by
 * `tcpstate check --set name=value` or a JSON config file; names are the keys below.
 */
export const DEFAULT_THRESHOLDS = {
  /** CLOSE_WAIT sockets of one process/port: warning at this many. */
  closeWaitWarn: 10,
  closeWaitCrit: 100,
  /** Seconds a CLOSE_WAIT socket may be known to exist before it is critical. */
  closeWaitOldCritSec: 300,
  /** Share of the ephemeral port range used towards one destination. */
  portPressureWarn: 0.5,
  portPressureCrit: 0.8,
  /** TIME_WAIT sockets for the harmless-volume note. */
  timeWaitInfo: 10_000,
  /** Share of tcp_max_tw_buckets in use. */
  timeWaitBucketsWarn: 0.8,
  /** Listener accept queue length / backlog. */
  acceptQueueWarn: 0.8,
  /** ListenOverflows per second (between two snapshots) for critical; any is a warning. */
  listenOverflowCritPerSec: 5,
  /** SYN-queue overflows (cookies or drops) per second for critical; any is a warning. */
  synQueueCritPerSec: 5,
  /** Half-open (SYN_RECV) connections on one listener: warning at this many, or at half its backlog. */
  synRecvWarn: 100,
  synRecvBacklogShare: 0.5,
  /** SYN_SENT towards one destination: warning at this many with at least synSentWarnRetrans retransmissions. */
  synSentWarn: 5,
  synSentWarnRetrans: 2,
  synSentCrit: 50,
  synSentCritRetrans: 4,
  /** Failed connection attempts as a share of active opens (needs two snapshots). */
  connectFailWarn: 0.05,
  finWait1Warn: 50,
  finWait1Crit: 500,
  finWait2Warn: 500,
  /** Half-closed sockets still held by a process (FIN_WAIT_2 with an inode). */
  halfClosedWarn: 10,
  lastAckWarn: 50,
  lastAckCrit: 500,
  lastAckRetransWarn: 3,
  closingWarn: 10,
  /** Orphans as a share of tcp_max_orphans. */
  orphanWarn: 0.25,
  orphanCrit: 0.5,
  /** TCP memory (sockstat mem) as a share of the third tcp_mem value for critical; above the second, warning. */
  tcpMemCritShare: 0.9,
  /** ESTABLISHED sockets with unread (Recv-Q) or unacknowledged (Send-Q) data in both snapshots. */
  queueWarnSockets: 5,
  queueCritSockets: 50,
  recvQWarnBytes: 1 << 20,
  sendQWarnBytes: 4 << 20,
  /** New connections per second and average lifetime (seconds) for the churn note. */
  churnPerSec: 100,
  churnLifetimeSec: 1,
  /** Resets received per second (EstabResets + AttemptFails) and sent (OutRsts). */
  resetsPerSecWarn: 10,
  /** Retransmitted / sent segments. */
  retransWarn: 0.02,
  retransCrit: 0.05,
  /** Segments sent between snapshots below which the retransmission ratio is noise. */
  retransMinSegments: 1000,
};

export type Thresholds = typeof DEFAULT_THRESHOLDS;
export type ThresholdName = keyof Thresholds;
