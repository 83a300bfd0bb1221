/**
 * The simulator against the real Linux kernel. Each case is staged in two network namespaces: python sockets
 * perform the same user calls at the same times as the simulator's script, nftables drops the same segments, and
 * /proc/<pid>/net/tcp is sampled in both namespaces about every millisecond to record the states each end goes
 * through. The simulator runs with `--profile linux` and the same drop rules.
 *
 * What is compared, honestly: on a veth pair a state that only waits for a round trip lasts microseconds and
 * cannot be sampled reliably, so both sides keep only the states that last at least MIN_MS (the real sequence by
 * sampling, the simulator's by virtual time with a zero-delay network, as on veth). To make the interesting
 * states last, the cases drop chosen segments once (the first SYN-ACK, the first FIN, ...), which forces a
 * retransmission timeout: the same drop is applied to both. TIME-WAIT is checked on entry (Linux holds it 60 s).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES } from '../../src/fsm/profiles.ts';
import type { TcpState, UserCall } from '../../src/fsm/types.ts';
import { defaultRules, parseMatcher } from '../../src/sim/network.ts';
import { type ScriptStep, simulate, type Trace } from '../../src/sim/simulator.ts';
import { canUseNetns, createNetnsPair, hasCommand, type NetnsPair } from '../helpers/netns.ts';

const MIN_MS = 40;

const PROC_STATE: Record<string, TcpState> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECEIVED',
  '04': 'FIN_WAIT_1',
  '05': 'FIN_WAIT_2',
  '06': 'TIME_WAIT',
  '07': 'CLOSED',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

type Op = 'close' | 'shutdown' | 'abort' | 'send' | 'recv';
interface Case {
  name: string;
  /** [ms after the connection is established, side, op]. */
  steps: Array<[number, 'A' | 'B', Op]>;
  drop: string[];
  /** How long to sample after the last step (ms). */
  tail: number;
  /**
   * Known difference, asserted rather than hidden: states the simulator holds until an RTO but Linux leaves at
   * once. They are removed from the simulator's sequence before comparing.
   */
  linuxTransient?: TcpState[];
}

const HANDSHAKE_STRETCH = 'B->A SYN+ACK #1';

// Drops stretch states that would otherwise last one veth round trip (microseconds) past the sampling period.
const CASES: Case[] = [
  { name: 'handshake', steps: [], drop: [HANDSHAKE_STRETCH], tail: 300 },
  {
    // B's FIN is lost once: B holds LAST-ACK until it retransmits, A holds FIN-WAIT-2 meanwhile.
    name: 'active-close',
    steps: [
      [200, 'A', 'close'],
      [600, 'B', 'close'],
    ],
    drop: [HANDSHAKE_STRETCH, 'B->A FIN #1'],
    tail: 1500,
  },
  {
    name: 'passive-close',
    steps: [
      [200, 'B', 'close'],
      [600, 'A', 'close'],
    ],
    drop: [HANDSHAKE_STRETCH, 'A->B FIN #1'],
    tail: 4000,
  },
  {
    // Both call close() before either has seen the other's FIN: both FINs are lost once, so B's retransmitted FIN
    // reaches A in FIN-WAIT-1 (A goes CLOSING) and A's, later, reaches B in FIN-WAIT-2.
    name: 'simultaneous-close',
    steps: [
      [200, 'A', 'close'],
      [250, 'B', 'close'],
    ],
    drop: [HANDSHAKE_STRETCH, 'A->B FIN #1', 'B->A FIN #1'],
    tail: 4000,
    // When B's retransmitted FIN reaches A in FIN-WAIT-1, Linux retransmits A's unacknowledged FIN at once
    // (RACK-TLP loss detection, RFC 8985, which the simulator does not model), so A's CLOSING and B's FIN-WAIT-2
    // last microseconds; the simulator waits for A's RTO (3 s). Both ends still reach TIME-WAIT.
    linuxTransient: ['CLOSING', 'FIN_WAIT_2'],
  },
  {
    name: 'half-close',
    steps: [
      [200, 'A', 'shutdown'],
      [400, 'B', 'send'],
      [450, 'A', 'recv'],
      [600, 'B', 'close'],
    ],
    drop: [HANDSHAKE_STRETCH, 'B->A FIN #1'],
    tail: 1500,
  },
  { name: 'abort', steps: [[200, 'A', 'abort']], drop: [HANDSHAKE_STRETCH], tail: 300 },
  { name: 'lost-final-ack', steps: [], drop: [HANDSHAKE_STRETCH, 'A->B ACK #1'], tail: 1500 },
  {
    // A's FIN is lost: A holds FIN-WAIT-1 until it retransmits; B closes long after.
    name: 'lost-fin',
    steps: [
      [200, 'A', 'close'],
      [4000, 'B', 'close'],
    ],
    drop: [HANDSHAKE_STRETCH, 'A->B FIN #1', 'B->A FIN #1'],
    tail: 1500,
  },
];

const SIM_CALL: Record<Op, UserCall> = {
  close: { call: 'CLOSE', full: true },
  shutdown: { call: 'CLOSE' },
  abort: { call: 'ABORT' },
  send: { call: 'SEND', bytes: 100 },
  recv: { call: 'RECEIVE' },
};

/** Keep states that last at least MIN_MS (the last state always counts); collapse repeats. */
function lasting(samples: Array<[number, TcpState]>, end: number): TcpState[] {
  const out: TcpState[] = [];
  for (let i = 0; i < samples.length; i++) {
    const [t, s] = samples[i] as [number, TcpState];
    const next = samples[i + 1]?.[0] ?? end;
    const last = i === samples.length - 1;
    if ((next - t >= MIN_MS || last || s === 'TIME_WAIT') && out[out.length - 1] !== s) out.push(s);
  }
  return out;
}

/** The simulator's per-side state timeline for one case, with the same timings and drops. */
function simulated(c: Case, establishedAt: number): { trace: Trace; A: TcpState[]; B: TcpState[] } {
  const script: ScriptStep[] = [
    { at: 0, side: 'B', call: { call: 'OPEN', mode: 'passive' } },
    { at: 0, side: 'A', call: { call: 'OPEN', mode: 'active' } },
    ...c.steps.map(([at, side, op]) => ({ at: establishedAt + at, side, call: SIM_CALL[op] })),
  ];
  const rules = { ...defaultRules(), delay: 0, drop: c.drop.map((d) => parseMatcher(d)) };
  const trace = simulate({ scenario: c.name, profile: PROFILES.linux, rules, script });
  const end = establishedAt + (c.steps.at(-1)?.[0] ?? 0) + c.tail;
  const timeline = (side: 'A' | 'B') => {
    const out: Array<[number, TcpState]> = [];
    for (const ev of trace.events) {
      if (ev.kind !== 'state' || ev.side !== side || ev.t > end) continue;
      // The listener is not the connection: the real connection socket appears in SYN-RECEIVED.
      if (ev.to === 'LISTEN') continue;
      out.push([ev.t, ev.to]);
    }
    return lasting(out, end);
  };
  return { trace, A: timeline('A'), B: timeline('B') };
}

function nftRules(drops: string[], side: 'A' | 'B', port: number): string {
  // Rules with the same direction and flags drop the first N such packets: one anonymous quota that matches while
  // the bytes it has seen stay under N*52+40 (an IPv4 FIN or ACK with timestamps is 52 octets, a SYN-ACK 60).
  const groups = new Map<string, number>();
  for (const d of drops) {
    const m = parseMatcher(d);
    if (m.from !== side) continue;
    const f = m.flags.join('+');
    groups.set(f, (groups.get(f) ?? 0) + 1);
  }
  const lines: string[] = [];
  for (const [f, n] of groups) {
    const portMatch = side === 'A' ? `tcp dport ${port}` : `tcp sport ${port}`;
    const flagMatch =
      f === 'FIN'
        ? 'tcp flags & fin == fin'
        : f === 'SYN+ACK'
          ? 'tcp flags & (syn|ack) == syn|ack'
          : f === 'ACK'
            ? 'tcp flags & (fin|syn|rst|ack) == ack'
            : 'tcp flags & syn == syn';
    lines.push(`    ${portMatch} ${flagMatch} quota until ${n * 52 + 40} bytes drop`);
  }
  return `table inet fsmdrop {\n  chain out {\n    type filter hook output priority 0; policy accept;\n${lines.join('\n')}\n  }\n}\n`;
}

const PY = `
import socket, sys, time, json, struct
role, host, port, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
def at(ms):
    d = t0 + ms / 1000.0 - time.time()
    if d > 0: time.sleep(d)
if role == 'B':
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((host, port)); l.listen(8)
    print('ready', flush=True)
    t0 = float(sys.stdin.readline())
    s, _ = l.accept()
else:
    s = socket.socket()
    print('ready', flush=True)
    t0 = float(sys.stdin.readline())
    at(0); s.connect((host, port))
for ms, op in steps:
    at(ms)
    if op == 'close': s.close()
    elif op == 'shutdown': s.shutdown(socket.SHUT_WR)
    elif op == 'abort':
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
    elif op == 'send': s.sendall(b'x' * 100)
    elif op == 'recv': s.recv(1000)
time.sleep(5)
`;

function readStates(pid: number, port: number, role: 'A' | 'B'): TcpState | null {
  const text = readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const lport = Number.parseInt(f[1]?.split(':')[1] ?? '', 16);
    const rport = Number.parseInt(f[2]?.split(':')[1] ?? '', 16);
    if (role === 'A' ? rport === port : lport === port && rport !== 0) return PROC_STATE[f[3] ?? ''] ?? null;
  }
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canUseNetns || !hasCommand('nft') || !hasCommand('python3'))(
  'simulator vs the Linux kernel',
  () => {
    let pair: NetnsPair;
    let pids: { A: number; B: number };
    beforeAll(() => {
      pair = createNetnsPair('fsm');
      pids = { A: pair.pidIn(pair.a.ns), B: pair.pidIn(pair.b.ns) };
    });
    afterAll(() => pair?.cleanup());

    CASES.forEach((c, i) => {
      it(`${c.name}: the kernel's state sequence equals the simulator's (--profile linux)`, async () => {
        const port = 6100 + i;
        for (const side of ['A', 'B'] as const) {
          const ns = side === 'A' ? pair.a.ns : pair.b.ns;
          try {
            execFileSync('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', 'fsmdrop'], {
              stdio: 'ignore',
            });
          } catch {
            // not there
          }
          pair.nft(ns, nftRules(c.drop, side, port));
        }
        // The client connects at t0; steps are relative to the handshake, which the SYN-ACK drop stretches by the
        // initial RTO (1 s): both sides schedule from t0 + 1.1 s.
        const establishedAt = 1100;
        const stepsFor = (side: 'A' | 'B') =>
          JSON.stringify(c.steps.filter((s) => s[1] === side).map(([ms, , op]) => [establishedAt + ms, op]));
        // Both scripts start, report ready, and then wait for the common start time t0 (python is slow to start
        // on a busy machine, so t0 is only fixed once both are up).
        let errors = '';
        const procs = (['B', 'A'] as const).map((side) => {
          const ns = side === 'A' ? pair.a.ns : pair.b.ns;
          const child = pair.spawn(ns, 'python3', ['-c', PY, side, pair.b.v4, String(port), stepsFor(side)]);
          child.stderr?.on('data', (d: Buffer) => {
            errors += d.toString();
          });
          const ready = new Promise<void>((resolve) => {
            child.stdout?.on('data', (d: Buffer) => {
              if (d.toString().includes('ready')) resolve();
            });
          });
          return { child, ready };
        });
        await Promise.all(procs.map((p) => p.ready));
        const t0 = Date.now() / 1000 + 0.1;
        for (const p of procs) p.child.stdin?.write(`${t0}\n`);
        const start = t0 * 1000;
        while (Date.now() < start) await sleep(1);
        const samples: Record<'A' | 'B', Array<[number, TcpState]>> = { A: [], B: [] };
        const end = establishedAt + (c.steps.at(-1)?.[0] ?? 0) + c.tail;
        const seen = { A: false, B: false };
        while (Date.now() - start < end) {
          const now = Date.now() - start;
          for (const side of ['A', 'B'] as const) {
            const st = readStates(pids[side], port, side);
            const cur = st ?? (seen[side] ? 'CLOSED' : null);
            if (st) seen[side] = true;
            const list = samples[side];
            if (cur && list[list.length - 1]?.[1] !== cur) list.push([now, cur]);
          }
          await sleep(1);
        }
        const real = { A: lasting(samples.A, end), B: lasting(samples.B, end) };
        const sim = simulated(c, establishedAt);
        if (c.linuxTransient) {
          const keep = (l: TcpState[]) => l.filter((x) => !c.linuxTransient?.includes(x));
          expect(sim.A).not.toEqual(keep(sim.A)); // the difference is real in the simulator, not vacuous
          sim.A = keep(sim.A);
          sim.B = keep(sim.B);
        }
        const info = JSON.stringify({
          errors,
          real,
          sim: { A: sim.A, B: sim.B },
          rawA: samples.A,
          rawB: samples.B,
        });
        expect(real.A, info).toEqual(sim.A);
        expect(real.B, info).toEqual(sim.B);
      }, 30_000);
    });
  },
);
