/**
 * Cost of diagnose() on a busy server's table, two looks (the watch/record/check --interval case), next to the
 * cheapest possible pass over the same sockets (countByState) so the ratio says what the rules add.
 * Run: npx tsx bench/diagnose.ts [sockets=100000] [runs=15]
 */
import { countByState } from '../src/analysis/summary.ts';
import { diagnose } from '../src/diagnose/index.ts';
import type { Snapshot, Socket } from '../src/model/snapshot.ts';
import type { TcpState } from '../src/states/states.ts';

const total = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 15);

// Shaped like the 115k-socket server in test/fixtures/netstat/linux-ss-state-histogram-115k-1.txt, with addresses:
// inbound on 443 from many clients, outbound pools to a few upstreams, closing states spread over clients.
const mix: Array<[TcpState, number]> = [
  ['ESTABLISHED', 0.8],
  ['FIN_WAIT_1', 0.08],
  ['FIN_WAIT_2', 0.046],
  ['TIME_WAIT', 0.05],
  ['LAST_ACK', 0.014],
  ['CLOSING', 0.003],
  ['CLOSE_WAIT', 0.0025],
  ['SYN_RECEIVED', 0.0045],
];

function build(n: number): Socket[] {
  const sockets: Socket[] = [
    {
      protocol: 'tcp',
      family: 'inet',
      state: 'LISTEN',
      local: { address: '0.0.0.0', port: 443 },
      remote: { address: '*', port: undefined },
      backlog: 4096,
      recvQ: 0,
    },
  ];
  let i = 0;
  for (const [state, share] of mix) {
    for (let k = 0; k < Math.round(n * share); k++, i++) {
      const outbound = state === 'TIME_WAIT' || (state === 'ESTABLISHED' && k % 10 === 0);
      sockets.push({
        protocol: 'tcp',
        family: 'inet',
        state,
        local: { address: '10.0.0.1', port: outbound ? 32768 + (i % 28000) : 443 },
        remote: outbound
          ? { address: `10.1.0.${k % 20}`, port: 5432 }
          : { address: `100.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, port: 1024 + (k % 60000) },
        recvQ: state === 'ESTABLISHED' && k % 97 === 0 ? 100 : 0,
        sendQ: state === 'FIN_WAIT_1' ? 1000 : 0,
        inode: state === 'TIME_WAIT' || state === 'FIN_WAIT_1' ? 0 : 100_000 + i,
        ...(state === 'TIME_WAIT'
          ? { timer: { kind: 'timewait' as const, expiresMs: (k % 60) * 1000 } }
          : {}),
      });
    }
  }
  return sockets;
}

const sockets = build(total);
const kernel = {
  counters: { 'Tcp.ActiveOpens': 1000, 'Tcp.PassiveOpens': 1000, 'Tcp.CurrEstab': 80_000 },
  sysctls: { 'net.ipv4.ip_local_port_range': '32768 60999' },
};
const previous: Snapshot = {
  source: { kind: 'proc', name: 'bench', os: 'linux' },
  takenAt: 0,
  sockets,
  warnings: [],
  kernel,
};
const current: Snapshot = {
  ...previous,
  takenAt: 5000,
  sockets: sockets.map((s) => ({ ...s })),
  kernel: { ...kernel, counters: { ...kernel.counters, 'Tcp.ActiveOpens': 6000 } },
};

function time(fn: () => unknown): { mean: number; min: number } {
  fn(); // warm-up (JIT)
  const t: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { mean: t.reduce((a, b) => a + b, 0) / t.length, min: Math.min(...t) };
}

const count = time(() => countByState(current.sockets));
const one = time(() => diagnose(current));
const two = time(() => diagnose(current, {}, previous));
const findings = diagnose(current, {}, previous).map((f) => f.rule);
console.log(`${current.sockets.length} sockets, ${runs} runs each; findings: ${findings.join(', ')}`);
for (const [name, r] of [
  ['countByState (baseline)', count],
  ['diagnose (one look)', one],
  ['diagnose (two looks)', two],
] as const) {
  console.log(
    `${name.padEnd(26)} mean ${r.mean.toFixed(1).padStart(7)} ms  min ${r.min.toFixed(1).padStart(7)} ms  ${(r.mean / count.mean).toFixed(1)}x baseline`,
  );
}
