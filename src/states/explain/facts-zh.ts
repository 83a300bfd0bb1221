/** Chinese wording of the timer values in facts.ts, keyed by the English text (a test checks none is missing). */
export const TIMER_VALUES_ZH: Record<string, string> = {
  none: '无',
  'not verified': '未经核实',
  '120 s by default (240 s on Windows 2000); range 30-300 s':
    '默认 120 秒（Windows 2000 为 240 秒）；范围 30-300 秒',
  '2 SYN retransmissions from a 3 s RTO: gives up after ~21 s (3+6+12)':
    '从 3 秒 RTO 起重传 2 次 SYN：约 21 秒（3+6+12）后放弃',
  '2 x MSL = 30 s (MSL 15 s)': '2 × MSL = 30 秒（MSL 为 15 秒）',
  '2 x MSL = 4 min (MSL = 2 min)': '2 × MSL = 4 分钟（MSL 为 2 分钟）',
  '2 x MSL = 60 s (MSL 30 s)': '2 × MSL = 60 秒（MSL 为 30 秒）',
  '5 SYN-ACK retransmissions (tcp_synack_retries): last at 31 s, request dropped at ~63 s':
    '重传 5 次 SYN-ACK（tcp_synack_retries）：最后一次在第 31 秒，约 63 秒时丢弃该请求',
  '60 s for orphaned sockets (closed by the application); a socket only shut down for writing waits forever':
    '孤儿套接字（已被应用程序关闭）为 60 秒；只关闭了写方向的套接字会一直等待',
  '60 s once the socket cannot receive more': '套接字不能再接收数据后 60 秒',
  '60 s, fixed at compile time; not changed by tcp_fin_timeout':
    '60 秒，编译时固定；不受 tcp_fin_timeout 影响',
  '600 s (keepcnt 8 x keepintvl 75 s) for closed sockets, or 60 s with fast_finwait2_recycle=1':
    '已关闭的套接字为 600 秒（keepcnt 8 × keepintvl 75 秒），启用 fast_finwait2_recycle=1 时为 60 秒',
  '75 s connection-establishment timer': '75 秒建立连接定时器',
  '75 s connection-establishment timer (keepinit)': '75 秒建立连接定时器（keepinit）',
  'RTO backoff; give up after 12 retransmissions (TCP_MAXRXTSHIFT)':
    'RTO 指数退避；重传 12 次后放弃（TCP_MAXRXTSHIFT）',
  'RTO backoff; give up after 5 retransmissions': 'RTO 指数退避；重传 5 次后放弃',
  'RTO backoff; orphaned sockets give up after tcp_orphan_retries (0 means 8) retransmissions, others after tcp_retries2 (15, >= 924.6 s)':
    'RTO 指数退避；孤儿套接字在 tcp_orphan_retries 次重传后放弃（0 表示 8 次），其他套接字在 tcp_retries2 次后放弃（15 次，至少 924.6 秒）',
  '6 SYN retransmissions (tcp_syn_retries): connect() fails after ~127 s (~131 s on >= 6.5 with tcp_syn_linear_timeouts)':
    '重传 6 次 SYN（tcp_syn_retries）：约 127 秒后 connect() 失败（6.5 及以上内核启用 tcp_syn_linear_timeouts 时约 131 秒）',
  'connection-establishment: retransmit SYN from RTO 1 s; give up after R2 >= 3 min':
    '建立连接：从 1 秒 RTO 起重传 SYN；R2（至少 3 分钟）后放弃',
  'no state timer; keepalive (only with SO_KEEPALIVE) 7200 s idle, 75 s interval, 9 probes':
    '没有状态定时器；保活（仅在设置 SO_KEEPALIVE 时）空闲 7200 秒、间隔 75 秒、探测 9 次',
  'no state timer; keepalive 7200 s idle, 75 s interval, 8 probes':
    '没有状态定时器；保活空闲 7200 秒、间隔 75 秒、探测 8 次',
  'no state timer; keepalive idle 2 h': '没有状态定时器；保活空闲 2 小时',
  'no state timer; keepalive optional, off by default, idle >= 2 h':
    '没有状态定时器；保活为可选项，默认关闭，空闲至少 2 小时',
  'not verified (75 s keepinit bounds half-open connections)': '未经核实（75 秒的 keepinit 限制半连接）',
  'retransmission timeout; give up after R2 >= 100 s': '重传超时；R2（至少 100 秒）后放弃',
  'retransmit SYN-ACK; give up after R2 >= 3 min': '重传 SYN-ACK；R2（至少 3 分钟）后放弃',
  'syncache entry retransmits SYN-ACK 3 times, then is dropped': 'syncache 条目重传 SYN-ACK 3 次后被丢弃',
};

/**
 * Chinese wording of the timer settings in facts.ts that carry prose besides the names of settings, keyed by the
 * English text (a test checks none is missing). Settings that are only names are printed as they are.
 */
export const TIMER_SETTINGS_ZH: Record<string, string> = {
  'TCP_TIMEWAIT_LEN (not tunable); net.ipv4.tcp_max_tw_buckets caps the count':
    'TCP_TIMEWAIT_LEN（不可调）；net.ipv4.tcp_max_tw_buckets 限制其数量',
  'net.ipv4.tcp_fin_timeout (per socket: TCP_LINGER2, max 120 s)':
    'net.ipv4.tcp_fin_timeout（单个套接字可用 TCP_LINGER2 设置，最大 120 秒）',
};
