import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Family } from '../model/snapshot.ts';
import type { KernelChangeFeed } from '../sources/trace/feed.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { VERSION } from '../version.ts';
import { type Aggregates, DEFAULT_LIMITS, type Limits, OTHER } from './aggregates.ts';
import { memo, type Sample, type Sampler } from './sampler.ts';

/**
 * Prometheus exposition of the sampler's latest snapshot, with prom-client on a registry of our own (never the
 * global one, so a library user's process metrics do not mix in). Values come from the sample the loop took;
 * a scrape never takes a snapshot. Names follow prometheus.io naming: `tcpstate_` prefix, base units, `_total`
 * on counters, lower-case state label values (`time_wait`), bounded labels (see aggregates.ts).
 */

/** Kernel counters behind the diagnoses (src/diagnose/rules), exported as `tcpstate_kernel_<snake>_total`. */
export const KERNEL_COUNTERS: ReadonlyArray<readonly [string, string]> = [
  ['TcpExt.ListenOverflows', 'accept queue full: a completed connection could not be queued'],
  ['TcpExt.ListenDrops', 'SYNs or final ACKs dropped at a listener (includes ListenOverflows)'],
  ['TcpExt.TCPReqQFullDrop', 'SYNs dropped because the SYN queue was full and syncookies were off'],
  ['TcpExt.TCPReqQFullDoCookies', 'SYN cookies sent because the SYN queue was full'],
  ['TcpExt.SyncookiesSent', 'SYN cookies sent'],
  ['TcpExt.SyncookiesRecv', 'valid SYN cookies received'],
  ['TcpExt.SyncookiesFailed', 'invalid SYN cookies received'],
  ['TcpExt.TCPTimeWaitOverflow', 'TIME_WAIT sockets not created because tcp_max_tw_buckets was reached'],
  ['TcpExt.TCPAbortOnData', 'resets sent because data arrived after close'],
  ['TcpExt.TCPAbortOnClose', 'resets sent because the application closed with unread data'],
  ['TcpExt.TCPAbortOnMemory', 'orphans killed for memory or tcp_max_orphans'],
  ['TcpExt.TCPAbortOnTimeout', 'connections aborted because a timer gave up'],
  ['TcpExt.TCPAbortOnLinger', 'FIN_WAIT_2 sockets aborted by TCP_LINGER2'],
  ['TcpExt.TCPSynRetrans', 'SYN and SYN-ACK retransmissions'],
  ['TcpExt.TCPTimeouts', 'retransmission timer expirations'],
  ['TcpExt.TCPRcvQDrop', 'segments dropped because the receive queue was full'],
  ['TcpExt.TCPMemoryPressures', 'times TCP entered memory pressure'],
  ['Tcp.ActiveOpens', 'transitions CLOSED -> SYN_SENT'],
  ['Tcp.PassiveOpens', 'transitions LISTEN -> SYN_RECEIVED'],
  ['Tcp.AttemptFails', 'failed connection attempts (SYN_* -> CLOSED or LISTEN)'],
  ['Tcp.EstabResets', 'resets of ESTABLISHED or CLOSE_WAIT connections'],
  ['Tcp.InSegs', 'segments received'],
  ['Tcp.OutSegs', 'segments sent'],
  ['Tcp.RetransSegs', 'segments retransmitted'],
  ['Tcp.OutRsts', 'segments sent with RST'],
];

/** sysctls exported as `tcpstate_sysctl{name}` when numeric (the ones the diagnoses compare against). */
export const EXPORTED_SYSCTLS = [
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_max_orphans',
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_syn_retries',
  'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_orphan_retries',
  'net.ipv4.tcp_abort_on_overflow',
];

/** `TcpExt.ListenOverflows` -> `listen_overflows`, `TcpExt.TCPSynRetrans` -> `tcp_syn_retrans`. */
export function counterMetricName(key: string): string {
  const name = key.slice(key.indexOf('.') + 1);
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

export const metricStateLabel = (state: TcpState): string => state.toLowerCase();
const familyLabel = (family: Family): string => (family === 'inet' ? 'ipv4' : 'ipv6');

export interface ServerMetrics {
  registry: Registry;
  /** Renders the exposition text (prom-client's classic text format). */
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(
  sampler: Sampler,
  limits: Limits = DEFAULT_LIMITS,
  kernel?: KernelChangeFeed,
): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  /**
   * The sample a scrape exports, with its aggregates: asked of the sample's sockets (in the snapshot worker) before
   * the registry collects, since prom-client's collectors run synchronously over what is here.
   */
  let pinned: { sample: Sample; aggregates: Aggregates } | undefined;
  const current = (): Sample | undefined => pinned?.sample;
  const agg = (sample: Sample): Aggregates => {
    if (pinned?.sample !== sample) throw new Error('metrics: aggregates of a sample not prepared');
    return pinned.aggregates;
  };
  let scrapeStarted = 0;

  /**
   * A gauge filled from the sample being exported at every scrape: reset first (so a series that went away is not
   * exported again), nothing at all before the first sample.
   */
  function sampledGauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (gauge: Gauge<L>, sample: Sample) => void,
  ): void {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        const sample = current();
        this.reset();
        if (sample) fill(this, sample);
      },
    });
  }

  new Gauge({
    name: 'tcpstate_build_info',
    help: 'Always 1; the version label says which tcpstate is exporting.',
    labelNames: ['version'] as const,
    registers,
    collect() {
      scrapeStarted = performance.now();
      this.set({ version: VERSION }, 1);
    },
  });

  sampledGauge(
    'tcpstate_connections',
    'TCP sockets by state and address family (every state is exported, 0 when none).',
    ['state', 'family'],
    (g, sample) => {
      const byStateFamily = agg(sample).byStateFamily;
      for (const state of TCP_STATES) {
        for (const family of ['inet', 'inet6'] as const) {
          g.set(
            { state: metricStateLabel(state), family: familyLabel(family) },
            byStateFamily.get(`${state}|${family}`) ?? 0,
          );
        }
      }
    },
  );

  sampledGauge(
    'tcpstate_connections_by_cgroup',
    `TCP sockets by state and cgroup (netlink reader: the systemd unit, docker:/containerd:/crio:/libpod: container id, else the cgroup path); the top ${limits.cgroups} cgroups by count keep their own label, the rest are cgroup="other"; cgroup="kernel" = none (TIME_WAIT, request sockets).`,
    ['state', 'cgroup'],
    (g, sample) => {
      for (const [key, n] of agg(sample).byStateCgroup) {
        const bar = key.indexOf('|');
        g.set({ state: metricStateLabel(key.slice(0, bar) as TcpState), cgroup: key.slice(bar + 1) }, n);
      }
    },
  );

  sampledGauge(
    'tcpstate_connections_by_port',
    `TCP sockets on a listening local port, by state; the top ${limits.ports} ports by count keep their own label, the rest are port="other".`,
    ['state', 'port'],
    (g, sample) => {
      for (const [key, n] of agg(sample).byStatePort) {
        const [state, port] = key.split('|') as [TcpState, string];
        g.set({ state: metricStateLabel(state), port }, n);
      }
    },
  );

  sampledGauge(
    'tcpstate_connections_by_process',
    `TCP sockets by state and owning process name (only with process lookup); the top ${limits.processes} names keep their own label, the rest are process="other"; process="kernel" = no owner (TIME_WAIT, orphans).`,
    ['state', 'process'],
    (g, sample) => {
      for (const [key, n] of agg(sample).byStateProcess) {
        const bar = key.indexOf('|');
        g.set({ state: metricStateLabel(key.slice(0, bar) as TcpState), process: key.slice(bar + 1) }, n);
      }
    },
  );

  for (const [name, help, pick] of [
    [
      'tcpstate_receive_queue_bytes',
      'Bytes received but not yet read by the application, summed per state (listeners excluded).',
      (a: Aggregates) => a.receiveQueueBytes,
    ],
    [
      'tcpstate_send_queue_bytes',
      'Bytes sent but not yet acknowledged by the peer, summed per state (listeners excluded).',
      (a: Aggregates) => a.sendQueueBytes,
    ],
  ] as const) {
    sampledGauge(name, help, ['state'], (g, sample) => {
      for (const [state, n] of pick(agg(sample))) g.set({ state: metricStateLabel(state) }, n);
    });
  }

  sampledGauge(
    'tcpstate_listen_queue_length',
    `Connections waiting in a listener's accept queue (Recv-Q of a LISTEN socket); the ${limits.listeners} fullest listeners.`,
    ['address', 'port'],
    (g, sample) => {
      for (const l of agg(sample).listeners) g.set({ address: l.address, port: l.port }, l.length);
    },
  );
  sampledGauge(
    'tcpstate_listen_queue_max',
    'Accept backlog of a listener, where the source shows it (ss and netlink do; /proc/net/tcp does not).',
    ['address', 'port'],
    (g, sample) => {
      for (const l of agg(sample).listeners)
        if (l.max !== undefined) g.set({ address: l.address, port: l.port }, l.max);
    },
  );
  sampledGauge(
    'tcpstate_listen_queue_fill_ratio',
    'Accept-queue fill: length / backlog (1 = full, new connections are dropped); only where the backlog is known.',
    ['address', 'port'],
    (g, sample) => {
      for (const l of agg(sample).listeners)
        if (l.max) g.set({ address: l.address, port: l.port }, l.length / l.max);
    },
  );

  sampledGauge(
    'tcpstate_time_wait_connections_by_destination',
    `Outbound TIME_WAIT sockets per remote address:port; the top ${limits.destinations} destinations keep their own label, the rest are destination="other".`,
    ['destination'],
    (g, sample) => {
      for (const [destination, n] of agg(sample).timeWaitByDestination) g.set({ destination }, n);
    },
  );
  sampledGauge(
    'tcpstate_ephemeral_ports_in_use_ratio',
    `Outbound sockets (any state) towards one destination / size of net.ipv4.ip_local_port_range: ephemeral-port pressure (TW-1); the top ${limits.destinations} destinations.`,
    ['destination'],
    (g, sample) => {
      const a = agg(sample);
      for (const [destination, n] of a.outboundByDestination)
        if (destination !== OTHER) g.set({ destination }, n / a.ephemeralRange.size);
    },
  );
  sampledGauge(
    'tcpstate_ephemeral_port_range_size',
    'Ports in net.ipv4.ip_local_port_range (the Linux default 28232 when the sysctl was not read).',
    [],
    (g, sample) => g.set(agg(sample).ephemeralRange.size),
  );

  sampledGauge(
    'tcpstate_connection_oldest_age_seconds',
    'Per state, how long its oldest connection has been in it: exact where the kernel trace saw it enter the state, else estimated from its timers or tcp_info, else a lower bound from the snapshots (for a connection already there when the server started; /api/summary oldestAgeKind says which).',
    ['state'],
    (g, sample) => {
      for (const [state, age] of Object.entries(sample.oldestAgeSeconds))
        g.set({ state: metricStateLabel(state as TcpState) }, age);
    },
  );

  sampledGauge(
    'tcpstate_findings',
    'Active diagnoses (findings) by rule and severity.',
    ['rule', 'severity'],
    (g, sample) => {
      const counts = new Map<string, number>();
      for (const f of sample.findings) {
        const key = `${f.rule}|${f.severity}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) {
        const [rule, severity] = key.split('|') as [string, string];
        g.set({ rule, severity }, n);
      }
    },
  );

  // Kernel counters: a prom-client Counter cannot be set, so it is advanced by the kernel's delta each sample;
  // the first sample adds the full value, so the exported counter equals the kernel's.
  // Registered on the first value seen, so a source without kernel counters (pasted text, captures) exports
  // nothing rather than a misleading 0.
  const kernelCounters = KERNEL_COUNTERS.map(([key, help]) => ({
    key,
    metric: new Counter({
      name: `tcpstate_kernel_${counterMetricName(key)}_total`,
      help: `Kernel counter ${key.replace('.', ' ')}: ${help}.`,
      registers: [],
    }),
    registered: false,
    last: undefined as number | undefined,
  }));

  const sockstat = (field: string, name: string, help: string) =>
    sampledGauge(name, help, [], (g, sample) => {
      const value = sample.snapshot.kernel?.sockstat?.[field];
      if (value !== undefined) g.set(value);
    });
  sockstat('TCP.inuse', 'tcpstate_sockstat_inuse', 'TCP sockets in use (/proc/net/sockstat TCP inuse).');
  sockstat(
    'TCP.orphan',
    'tcpstate_sockstat_orphan',
    'Orphaned TCP sockets: closed by the application, still in the kernel.',
  );
  sockstat(
    'TCP.tw',
    'tcpstate_sockstat_tw',
    'TIME_WAIT sockets according to the kernel (/proc/net/sockstat TCP tw).',
  );
  sockstat('TCP.alloc', 'tcpstate_sockstat_alloc', 'Allocated TCP sockets (/proc/net/sockstat TCP alloc).');
  sockstat(
    'TCP.mem',
    'tcpstate_sockstat_memory_pages',
    'Memory used by TCP, in pages (/proc/net/sockstat TCP mem).',
  );

  sampledGauge(
    'tcpstate_sysctl',
    'Numeric TCP sysctls the diagnoses compare against, by name.',
    ['name'],
    (g, sample) => {
      const sysctls = sample.snapshot.kernel?.sysctls;
      if (!sysctls) return;
      for (const name of EXPORTED_SYSCTLS) {
        const text = sysctls[name]?.trim();
        if (text !== undefined && /^-?\d+$/.test(text)) g.set({ name }, Number(text));
      }
    },
  );

  const transitions = new Counter({
    name: 'tcpstate_transitions_total',
    help: kernel
      ? 'State changes reported by the kernel (tracepoint sock:inet_sock_set_state and the TIME_WAIT mini-socket), every step of every connection.'
      : 'State changes seen between consecutive snapshots (a connection is its socket cookie over netlink, else its 4-tuple and inode); several steps inside one interval count as one jump.',
    labelNames: ['from', 'to'] as const,
    registers,
  });
  if (kernel) {
    const stays = new Histogram({
      name: 'tcpstate_state_stay_seconds',
      help: 'Completed stays in a state (entered after tracing began, then left), from kernel timestamps.',
      labelNames: ['state'] as const,
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 61, 65, 120, 300, 900, 3600, 14_400],
      registers,
    });
    kernel.subscribe((changes) => {
      for (const c of changes)
        if (c.stayMs !== undefined) stays.observe({ state: metricStateLabel(c.from) }, c.stayMs / 1000);
    });
    new Counter({
      name: 'tcpstate_trace_dropped_total',
      help: 'State changes the kernel could not hand over (ring buffer full): missing from the counts above.',
      registers,
      collect() {
        this.reset();
        this.inc(kernel.dropped);
      },
    });
  }
  const snapshots = new Counter({
    name: 'tcpstate_snapshots_total',
    help: 'Snapshots taken by the sampling loop (one per interval, never per request).',
    registers,
  });
  new Counter({
    name: 'tcpstate_snapshot_errors_total',
    help: 'Snapshots that failed.',
    registers,
    collect() {
      this.reset();
      this.inc(sampler.snapshotErrors);
    },
  });
  sampledGauge(
    'tcpstate_snapshot_duration_seconds',
    'Time the last snapshot (and its diagnosis) took.',
    [],
    (g, sample) => g.set(sample.durationSeconds),
  );
  sampledGauge(
    'tcpstate_snapshot_timestamp_seconds',
    'When the snapshot being exported was taken (Unix time).',
    [],
    (g, sample) => g.set(sample.snapshot.takenAt / 1000),
  );
  new Gauge({
    name: 'tcpstate_snapshot_success',
    help: '1 when the last snapshot attempt succeeded, 0 when it failed (the exported values are then older).',
    registers,
    collect() {
      this.set(sampler.lastError || !sampler.current ? 0 : 1);
    },
  });
  // Registered last, so it measures this scrape's collection of every metric above.
  new Gauge({
    name: 'tcpstate_scrape_duration_seconds',
    help: 'Time this scrape took to collect the metrics.',
    registers,
    collect() {
      this.set((performance.now() - scrapeStarted) / 1000);
    },
  });

  const onSample = (sample: Sample) => {
    snapshots.inc();
    for (const t of sample.transitions)
      transitions.inc({ from: metricStateLabel(t.from), to: metricStateLabel(t.to) }, t.count);
    const counters = sample.snapshot.kernel?.counters;
    if (!counters) return;
    for (const c of kernelCounters) {
      const value = counters[c.key];
      if (value === undefined) continue;
      if (!c.registered) {
        registry.registerMetric(c.metric);
        c.registered = true;
      }
      // A smaller value means the counter restarted (another namespace, a reboot): start over from it.
      const delta = c.last === undefined || value < c.last ? value : value - c.last;
      if (c.last !== undefined && value < c.last) c.metric.reset();
      if (delta > 0) c.metric.inc(delta);
      c.last = value;
    }
  };
  if (sampler.current) onSample(sampler.current);
  sampler.subscribe((event) => {
    if (event.type === 'sample') onSample(event.sample);
  });

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      const sample = sampler.current;
      if (sample) {
        const aggregates = await memo(sample, 'aggregates', () => sample.sockets.aggregates(limits));
        pinned = { sample, aggregates };
      }
      return registry.metrics();
    },
  };
}
