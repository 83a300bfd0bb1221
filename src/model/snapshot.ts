import type { TcpState } from '../states/states.ts';

/** Where a Snapshot came from. */
export type SourceKind =
  | 'proc' // live Linux /proc/net/tcp{,6}
  | 'netlink' // live Linux NETLINK_SOCK_DIAG (the native reader)
  | 'native' // a native netstat run live on a non-Linux OS
  | 'text' // pasted netstat / ss / sockstat / proc text
  | 'capture' // a packet capture at time T
  | 'store'; // read back from a recording

export type Family = 'inet' | 'inet6';

export interface Endpoint {
  /** Printable address: `10.0.0.1`, `::1`, `*` for a wildcard, or an opaque string when the source truncated it. */
  address: string;
  /** Port number; undefined for `*` (a wildcard peer of a listener) or a service name we could not resolve. */
  port: number | undefined;
  /** Service name as printed when the source did not use numeric ports (`ssh`, `https`). */
  service?: string;
  /** Interface scope (`%lo`, `%eth0`) where the source printed one. */
  scope?: string;
  /** The source cut this address short (`localhost.localdo`); it is kept as printed and must not be trusted. */
  truncated?: boolean;
}

/** A kernel timer on the socket, `ss -o` style. */
export interface SocketTimer {
  /** `on` = retransmit/probe, `keepalive`, `timewait`, `persist` = zero-window probe, `delack`, `off`, `unknown`. */
  kind: 'on' | 'keepalive' | 'timewait' | 'persist' | 'delack' | 'off' | 'unknown';
  /** Milliseconds until it fires (negative when overdue, as /proc can show). */
  expiresMs: number;
  /** Retransmits / probes so far as reported with the timer. */
  retransmits?: number;
}

export interface ProcessRef {
  pid: number;
  command: string;
  fd?: number;
  uid?: number;
}

/**
 * The kernel's `tcp_info` for one socket (netlink reader only; `ss -i` prints the same). Times in milliseconds,
 * rates in bytes per second. A field is absent when the kernel's struct is too old to have it.
 */
export interface TcpInfo {
  /** Smoothed round-trip time and its variation (ss `rtt:A/B`). */
  rttMs: number;
  rttVarMs: number;
  /** Lowest RTT seen (ss `minrtt`). */
  minRttMs?: number;
  rtoMs: number;
  /** Congestion window and slow-start threshold, in segments (ssthresh absent while "infinite"). */
  cwnd: number;
  ssthresh?: number;
  sndMss: number;
  rcvMss: number;
  pmtu: number;
  /** Retransmissions of the current unacknowledged data (icsk_retransmits) and over the socket's life. */
  retransmits: number;
  totalRetrans: number;
  /** Segments sent and not yet acknowledged, and those thought lost. */
  unacked: number;
  lost: number;
  /** How long ago data was last sent and received and an ACK last received (ss `lastsnd`, `lastrcv`, `lastack`). */
  lastDataSentMs: number;
  lastDataRecvMs: number;
  lastAckRecvMs: number;
  bytesAcked?: number;
  bytesReceived?: number;
  /** Most recent delivery rate (ss `delivery_rate`, here bytes/s). */
  deliveryRate?: number;
}

/** Socket memory (`ss -m` skmem): bytes allocated and the buffer sizes. */
export interface SocketMemory {
  rmemAlloc: number;
  rcvbuf: number;
  wmemAlloc: number;
  sndbuf: number;
  fwdAlloc: number;
  wmemQueued: number;
  optmem: number;
  backlog: number;
  drops: number;
}

/** A TCP socket, however the source described it. Optional fields are absent when the source lacks them. */
export interface Socket {
  protocol: 'tcp';
  family: Family;
  state: TcpState;
  local: Endpoint;
  remote: Endpoint;
  /** Receive queue: bytes not yet read; for LISTEN, the accept-queue length. */
  recvQ?: number;
  /** Send queue: bytes not yet acknowledged; for LISTEN on Linux (ss), the accept backlog. */
  sendQ?: number;
  /** Accept backlog of a listener, where it can be known. */
  backlog?: number;
  timer?: SocketTimer;
  retransmits?: number;
  uid?: number;
  /** Socket inode; 0 on Linux means no owning file (TIME_WAIT, request sockets, orphans). */
  inode?: number;
  /** Owning processes; empty when looked up and none owns it; absent when not looked up or not known. */
  processes?: ProcessRef[];
  /** Kernel socket cookie or address (`sk:` in ss, `sk_addr` in /proc), for tracking across snapshots. */
  cookie?: string;
  /** `tcp_info` (netlink reader, with `-i` or for diagnoses that need it). */
  tcpInfo?: TcpInfo;
  /** Socket memory (netlink reader, with `-i`). */
  memory?: SocketMemory;
  /** cgroup v2 id of the socket's creator (netlink reader); `cgroup` is its path under /sys/fs/cgroup. */
  cgroupId?: number;
  cgroup?: string;
  /** The source spelled the state this way (kept for display and debugging). */
  rawState?: string;
  /** 1-based line in the text source this socket came from. */
  line?: number;
  /** Anything else the source printed that we keep (ss -i tokens, macOS rxbytes, ...). */
  extra?: Record<string, string | number>;
}

export interface Warning {
  /** 1-based line (text sources) or packet number (captures), when there is one. */
  line?: number;
  /** Byte offset, for binary sources. */
  offset?: number;
  message: string;
  /** The offending text, shortened. */
  text?: string;
}

/** Kernel counters and sysctls that the diagnoses read. Every field is optional: the source may not have it. */
export interface KernelContext {
  /** `/proc/net/snmp` and `/proc/net/netstat`, keyed `Tcp.ActiveOpens`, `TcpExt.ListenOverflows`, ... */
  counters?: Record<string, number>;
  /** `/proc/net/sockstat` (+sockstat6): `TCP.inuse`, `TCP.orphan`, `TCP.tw`, `TCP.alloc`, `TCP.mem`, ... */
  sockstat?: Record<string, number>;
  /** sysctls by their dotted name: `net.ipv4.ip_local_port_range` → `"32768 60999"`. */
  sysctls?: Record<string, string>;
  /** Kernel release, e.g. `6.1.0-18-amd64`. */
  release?: string;
}

/** What the parser recognised and skipped: UDP, raw, unix sockets, headers, prompts. */
export interface SkippedCounts {
  udp?: number;
  raw?: number;
  unix?: number;
  other?: number;
}

/** Everything downstream (analysis, diagnoses, renderers, store, server) works on this one type. */
export interface Snapshot {
  source: {
    kind: SourceKind;
    /** A path, `stdin`, `/proc/net/tcp`, `netns:NAME`, a capture file name ... */
    name: string;
    /** Detected or given format for text sources (`linux-ss`, `windows-netstat`, ...). */
    format?: string;
    /** Operating system the data came from, when known (`linux`, `windows`, `macos`, `freebsd`, ...). */
    os?: string;
    /** Host name or a capture endpoint's address, when known. */
    host?: string;
  };
  /** Milliseconds since the epoch at which the data was taken (capture time for captures). */
  takenAt: number;
  sockets: Socket[];
  kernel?: KernelContext;
  /** True when process attribution was attempted; see `processNote` for what was missing. */
  processesLookedUp?: boolean;
  /** Why some processes are unknown (e.g. `not root: sockets of other users show no process`). */
  processNote?: string;
  skipped?: SkippedCounts;
  warnings: Warning[];
}
