import type { TcpState } from '../states.ts';
import type { Stack, TimerFact } from './types.ts';

/**
 * Timer values per stack, transcribed from docs/timers.md (Linux 6.12, FreeBSD 13.0, xnu-11417,
 * Windows registry references). "not verified" where that research found no primary source.
 */
const NONE = (source: string): TimerFact => ({ value: 'none', source });

const RETRANSMIT_FIN: Record<Stack, TimerFact> = {
  rfc: {
    value: 'retransmission timeout; give up after R2 >= 100 s',
    source: 'RFC 9293 §3.8.3 (R2), RFC 6298',
  },
  linux: {
    value:
      'RTO backoff; orphaned sockets give up after tcp_orphan_retries (0 means 8) retransmissions, others after tcp_retries2 (15, >= 924.6 s)',
    setting: 'net.ipv4.tcp_orphan_retries, net.ipv4.tcp_retries2',
    source: 'net/ipv4/tcp_timer.c:149-163; ip-sysctl.rst:632, 697-710',
  },
  freebsd: {
    value: 'RTO backoff; give up after 12 retransmissions (TCP_MAXRXTSHIFT)',
    source: 'netinet/tcp_timer.h:120',
  },
  macos: {
    value: 'RTO backoff; give up after 12 retransmissions (TCP_MAXRXTSHIFT)',
    source: 'xnu bsd/netinet/tcp_timer.h',
  },
  windows: {
    value: 'RTO backoff; give up after 5 retransmissions',
    setting: 'TcpMaxDataRetransmissions',
    source: 'Windows Server 2003 TCP/IP registry reference',
  },
};

const KEEPALIVE: Record<Stack, TimerFact> = {
  rfc: {
    value: 'no state timer; keepalive optional, off by default, idle >= 2 h',
    source: 'RFC 9293 §3.8.4 (RFC 1122 §4.2.3.6)',
  },
  linux: {
    value: 'no state timer; keepalive (only with SO_KEEPALIVE) 7200 s idle, 75 s interval, 9 probes',
    setting: 'net.ipv4.tcp_keepalive_time/_intvl/_probes',
    source: 'include/net/tcp.h:173-175',
  },
  freebsd: {
    value: 'no state timer; keepalive 7200 s idle, 75 s interval, 8 probes',
    setting: 'net.inet.tcp.keepidle/keepintvl/keepcnt',
    source: 'netinet/tcp_timer.h (TCPTV_KEEP_IDLE, TCPTV_KEEPINTVL, TCPTV_KEEPCNT)',
  },
  macos: {
    value: 'no state timer; keepalive 7200 s idle, 75 s interval, 8 probes',
    setting: 'net.inet.tcp.keepidle/keepintvl/keepcnt',
    source: 'xnu bsd/netinet/tcp_timer.h',
  },
  windows: {
    value: 'no state timer; keepalive idle 2 h',
    setting: 'KeepAliveTime',
    source: 'Windows TCP/IP registry reference',
  },
};

export const TIMERS: Record<TcpState, Record<Stack, TimerFact>> = {
  LISTEN: {
    rfc: NONE('RFC 9293 §3.3.2: a listener waits until the application closes it'),
    linux: NONE('no timer on listeners; each pending connection has its own SYN-ACK timer'),
    freebsd: NONE('no timer on listeners (the syncache holds half-open entries)'),
    macos: NONE('no timer on listeners'),
    windows: NONE('no timer on listeners'),
  },
  SYN_SENT: {
    rfc: {
      value: 'connection-establishment: retransmit SYN from RTO 1 s; give up after R2 >= 3 min',
      source: 'RFC 9293 §3.8.3 (MUST-23), RFC 6298',
    },
    linux: {
      value:
        '6 SYN retransmissions (tcp_syn_retries): connect() fails after ~127 s (~131 s on >= 6.5 with tcp_syn_linear_timeouts)',
      setting: 'net.ipv4.tcp_syn_retries',
      source: 'ip-sysctl.rst:905-911, 976-984; net/ipv4/tcp_timer.c:242-300',
    },
    freebsd: {
      value: '75 s connection-establishment timer (keepinit)',
      setting: 'net.inet.tcp.keepinit',
      source: 'netinet/tcp_timer.h:85 TCPTV_KEEP_INIT; tcp_usrreq.c:622',
    },
    macos: {
      value: '75 s connection-establishment timer',
      setting: 'net.inet.tcp.keepinit',
      source: 'xnu tcp_timer.h:184 TCPTV_KEEP_INIT',
    },
    windows: {
      value: '2 SYN retransmissions from a 3 s RTO: gives up after ~21 s (3+6+12)',
      setting: 'TcpMaxConnectRetransmissions / MaxSynRetransmissions',
      source: 'Windows registry reference; KB 2786464',
    },
  },
  SYN_RECEIVED: {
    rfc: { value: 'retransmit SYN-ACK; give up after R2 >= 3 min', source: 'RFC 9293 §3.8.3 (MUST-23)' },
    linux: {
      value: '5 SYN-ACK retransmissions (tcp_synack_retries): last at 31 s, request dropped at ~63 s',
      setting: 'net.ipv4.tcp_synack_retries',
      source: 'ip-sysctl.rst:786-791; inet_connection_sock.c reqsk_timer_handler',
    },
    freebsd: {
      value: 'syncache entry retransmits SYN-ACK 3 times, then is dropped',
      setting: 'net.inet.tcp.syncache.rexmtlimit',
      source: 'netinet/tcp_syncache.c:166 SYNCACHE_MAXREXMTS',
    },
    macos: {
      value: 'not verified (75 s keepinit bounds half-open connections)',
      source: 'xnu tcp_timer.h TCPTV_KEEP_INIT',
    },
    windows: { value: 'not verified', source: 'no primary source found' },
  },
  ESTABLISHED: KEEPALIVE,
  FIN_WAIT_1: RETRANSMIT_FIN,
  FIN_WAIT_2: {
    rfc: NONE("RFC 9293 §3.6: FIN-WAIT-2 waits for the peer's FIN; RFC 9293 sets no timer"),
    linux: {
      value:
        '60 s for orphaned sockets (closed by the application); a socket only shut down for writing waits forever',
      setting: 'net.ipv4.tcp_fin_timeout (per socket: TCP_LINGER2, max 120 s)',
      source: 'include/net/tcp.h:138, 144; net/ipv4/tcp.c:3183-3201',
    },
    freebsd: {
      value: '600 s (keepcnt 8 x keepintvl 75 s) for closed sockets, or 60 s with fast_finwait2_recycle=1',
      setting: 'net.inet.tcp.finwait2_timeout, net.inet.tcp.fast_finwait2_recycle',
      source: 'netinet/tcp_input.c:2952-2973; tcp_usrreq.c:2728-2738',
    },
    macos: {
      value: '60 s once the socket cannot receive more',
      setting: 'net.inet.tcp.fin_timeout',
      source: 'xnu tcp_timer.h:192 TCPTV_FINWAIT2',
    },
    windows: { value: 'not verified', source: 'no primary source found' },
  },
  CLOSE_WAIT: {
    rfc: NONE('RFC 9293 §3.6: CLOSE-WAIT waits for the local user to CLOSE'),
    linux: NONE('no timer: only close() by the application ends it (keepalive may detect a dead peer)'),
    freebsd: NONE('no timer: only close() ends it'),
    macos: NONE('no timer: only close() ends it'),
    windows: NONE('no timer: only closesocket() ends it'),
  },
  CLOSING: RETRANSMIT_FIN,
  LAST_ACK: RETRANSMIT_FIN,
  TIME_WAIT: {
    rfc: { value: '2 x MSL = 4 min (MSL = 2 min)', source: 'RFC 9293 §3.4.2, §3.6 (MUST-13)' },
    linux: {
      value: '60 s, fixed at compile time; not changed by tcp_fin_timeout',
      setting: 'TCP_TIMEWAIT_LEN (not tunable); net.ipv4.tcp_max_tw_buckets caps the count',
      source: 'include/net/tcp.h:136; net/ipv4/tcp_minisocks.c',
    },
    freebsd: {
      value: '2 x MSL = 60 s (MSL 30 s)',
      setting: 'net.inet.tcp.msl',
      source: 'netinet/tcp_timer.h:77; tcp_timewait.c:668',
    },
    macos: {
      value: '2 x MSL = 30 s (MSL 15 s)',
      setting: 'net.inet.tcp.msl',
      source: 'xnu tcp_timer.h:175; tcp_input.c:5628',
    },
    windows: {
      value: '120 s by default (240 s on Windows 2000); range 30-300 s',
      setting: 'TcpTimedWaitDelay',
      source: 'Windows Server 2003 / Windows 2000 TCP/IP registry references',
    },
  },
  CLOSED: {
    rfc: NONE('RFC 9293 §3.3.2: CLOSED is fictional, the state when there is no TCB'),
    linux: NONE('no timer'),
    freebsd: NONE('no timer'),
    macos: NONE('no timer'),
    windows: NONE('no timer'),
  },
};

/** How each source prints the state (netstat(8), ss(8), FreeBSD netstat(1), Microsoft's netstat and Get-NetTCPConnection documentation). */
export const SPELLINGS: Record<TcpState, Record<string, string>> = {
  LISTEN: {
    '/proc': '0A',
    'net-tools': 'LISTEN',
    ss: 'LISTEN',
    bsd: 'LISTEN',
    windows: 'LISTENING',
    'windows-de': 'ABHÖREN',
    powershell: 'Listen',
  },
  SYN_SENT: {
    '/proc': '02',
    'net-tools': 'SYN_SENT',
    ss: 'SYN-SENT',
    bsd: 'SYN_SENT',
    windows: 'SYN_SENT',
    'windows-de': 'SYN_GESENDET',
    powershell: 'SynSent',
  },
  SYN_RECEIVED: {
    '/proc': '03',
    'net-tools': 'SYN_RECV',
    ss: 'SYN-RECV',
    bsd: 'SYN_RCVD',
    windows: 'SYN_RECEIVED',
    'windows-de': 'SYN_EMPFANGEN',
    powershell: 'SynReceived',
  },
  ESTABLISHED: {
    '/proc': '01',
    'net-tools': 'ESTABLISHED',
    ss: 'ESTAB',
    bsd: 'ESTABLISHED',
    windows: 'ESTABLISHED',
    'windows-de': 'HERGESTELLT',
    powershell: 'Established',
  },
  FIN_WAIT_1: {
    '/proc': '04',
    'net-tools': 'FIN_WAIT1',
    ss: 'FIN-WAIT-1',
    bsd: 'FIN_WAIT_1',
    windows: 'FIN_WAIT_1',
    'windows-de': 'FIN_WARTEN_1',
    powershell: 'FinWait1',
  },
  FIN_WAIT_2: {
    '/proc': '05',
    'net-tools': 'FIN_WAIT2',
    ss: 'FIN-WAIT-2',
    bsd: 'FIN_WAIT_2',
    windows: 'FIN_WAIT_2',
    'windows-de': 'FIN_WARTEN_2',
    powershell: 'FinWait2',
  },
  CLOSE_WAIT: {
    '/proc': '08',
    'net-tools': 'CLOSE_WAIT',
    ss: 'CLOSE-WAIT',
    bsd: 'CLOSE_WAIT',
    windows: 'CLOSE_WAIT',
    'windows-de': 'SCHLIESSEN_WARTEN',
    powershell: 'CloseWait',
  },
  CLOSING: {
    '/proc': '0B',
    'net-tools': 'CLOSING',
    ss: 'CLOSING',
    bsd: 'CLOSING',
    windows: 'CLOSING',
    'windows-de': 'SCHLIESSEND',
    powershell: 'Closing',
  },
  LAST_ACK: {
    '/proc': '09',
    'net-tools': 'LAST_ACK',
    ss: 'LAST-ACK',
    bsd: 'LAST_ACK',
    windows: 'LAST_ACK',
    powershell: 'LastAck',
  },
  TIME_WAIT: {
    '/proc': '06',
    'net-tools': 'TIME_WAIT',
    ss: 'TIME-WAIT',
    bsd: 'TIME_WAIT',
    windows: 'TIME_WAIT',
    'windows-de': 'WARTEND',
    powershell: 'TimeWait',
  },
  CLOSED: {
    '/proc': '07',
    'net-tools': 'CLOSE',
    ss: 'UNCONN',
    bsd: 'CLOSED',
    windows: 'CLOSED',
    powershell: 'Closed',
  },
};

export const REFERENCES: Record<TcpState, string[]> = {
  LISTEN: ['RFC 9293 §3.3.2, §3.10.7.2', 'ss(8): Recv-Q/Send-Q of listeners', 'kernel net/ipv4/tcp_diag.c'],
  SYN_SENT: ['RFC 9293 §3.5, §3.10.7.3', 'Linux ip-sysctl.rst tcp_syn_retries'],
  SYN_RECEIVED: [
    'RFC 9293 §3.5, §3.10.7.2',
    'Linux ip-sysctl.rst tcp_synack_retries, tcp_max_syn_backlog, tcp_syncookies',
  ],
  ESTABLISHED: ['RFC 9293 §3.3.2, §3.8.4 (keep-alives)'],
  FIN_WAIT_1: ['RFC 9293 §3.6, §3.10.7.4', 'Linux ip-sysctl.rst tcp_orphan_retries, tcp_max_orphans'],
  FIN_WAIT_2: ['RFC 9293 §3.6', 'Linux ip-sysctl.rst tcp_fin_timeout'],
  CLOSE_WAIT: ['RFC 9293 §3.6 (case 2)'],
  CLOSING: ['RFC 9293 §3.6 (case 3, simultaneous close), §3.10.7.4'],
  LAST_ACK: ['RFC 9293 §3.6 (case 2)'],
  TIME_WAIT: [
    'RFC 9293 §3.4.2, §3.6',
    'RFC 1337 (TIME-WAIT assassination)',
    'RFC 6191',
    'Linux ip-sysctl.rst tcp_tw_reuse, tcp_max_tw_buckets',
  ],
  CLOSED: ['RFC 9293 §3.3.2'],
};
