/**
 * Kernel-trace benchmark: start-up and overhead of `tcpstate trace` beside libbpf-tools' `tcpstates`, in one run.
 *
 *   npm run build && npx tsx bench/trace.ts [--rate 500] [--seconds 10] [--rounds 3]
 *
 * Traffic: loopback connections in a fresh network namespace per round, opened, accepted and closed by both ends at
 * --rate connections/s (ten state changes each: 500/s = 5,000 changes/s). The cost of a tracer is what it adds:
 * the CPU time of its processes (tcpstate: node and the loader; tcpstates: itself) plus the run time of its BPF
 * programs in the kernel (kernel.bpf_stats_enabled, per program), over the wall time, as a share of one core.
 * The traffic's own CPU is printed for scale. Start-up: from spawn to the moment the tool says it is attached
 * (tcpstate: its "tracing" line; tcpstates: its header, line-buffered with stdbuf). Medians of --rounds.
 * Node runs without NODE_EXTRA_CA_CERTS (set on the machine this was written on: it makes every node start-up read
 * a CA bundle, ~50 ms, which users do not normally pay); a `node -e 0` row gives the floor.
 * Then Node's own cost per change, without the kernel or the pipe: a capture of the loader's records (taken here)
 * replayed through decode, tracker, summary and the --ndjson line, per change, with the line built by
 * JSON.stringify of an object (as before) and written directly (as now).
 * Needs root, bpftool, python3, stdbuf, tcpstates (libbpf-tools).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { traceChangeJson, traceChangeNdjson } from '../src/render/trace-json.ts';
import { decodeRecord, RECORD_SIZE, RecordKind } from '../src/sources/trace/record.ts';
import { KernelTracker, type StateChange } from '../src/track/kernel-trace.ts';
import { TraceSummarizer } from '../src/track/trace-summary.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 10);
const ROUNDS = arg('rounds', 3);
const root = resolve(import.meta.dirname, '..');
const CLI = join(root, 'dist/bin/main.js');
const TRAFFIC = join(root, 'bench/trace-traffic.py');
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

if (process.getuid?.() !== 0) throw new Error('bench/trace.ts needs root');

/** Node as a user starts it: without this machine's CA bundle (see above). */
const NODE_ENV = { ...process.env };
delete NODE_ENV.NODE_EXTRA_CA_CERTS;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/** CPU seconds of a process and its children still alive (utime + stime). */
function cpuOf(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / TICK;
    } catch {
      // gone
    }
  }
  return total;
}

function descendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const children = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (children) out.push(...children.split(' ').map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

interface Prog {
  id: number;
  run_time_ns?: number;
}
const progs = (): Prog[] => JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' }));
const runNs = (ids: Set<number>) =>
  progs()
    .filter((p) => ids.has(p.id))
    .reduce((sum, p) => sum + (p.run_time_ns ?? 0), 0);

interface Tool {
  name: string;
  start(ns: string): ChildProcess;
  /** The text that says the tool is attached. */
  ready: { stream: 'stdout' | 'stderr'; text: string };
}

const TOOLS: Tool[] = [
  {
    name: 'tcpstate trace',
    start: (ns) =>
      spawn('node', [CLI, 'trace', '--netns', ns, '--ndjson', '--no-summary'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: NODE_ENV,
      }),
    ready: { stream: 'stderr', text: '' },
  },
  {
    name: 'its kernel side alone (loader, binary records)',
    start: (ns) =>
      spawn(join(root, 'dist/bpf/tcpstate-trace'), ['--netns', String(statSync(`/run/netns/${ns}`).ino)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    // its first record is READY (104 bytes)
    ready: { stream: 'stdout', text: '' },
  },
  {
    name: 'tcpstates (libbpf-tools)',
    start: () => spawn('stdbuf', ['-oL', 'tcpstates'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    ready: { stream: 'stdout', text: 'SKADDR' },
  },
];

async function startTool(tool: Tool, ns: string): Promise<{ child: ChildProcess; startupMs: number }> {
  const t0 = performance.now();
  const child = tool.start(ns);
  let seen = '';
  const stream = tool.ready.stream === 'stdout' ? child.stdout : child.stderr;
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${tool.name} not ready in 10 s: ${seen}`)), 10_000);
    stream?.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      const binary = tool.name.startsWith('its kernel');
      if (binary ? seen.length >= 104 : seen.includes(tool.ready.text || 'tracing')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.on('exit', (code) => reject(new Error(`${tool.name} exited (${code}): ${seen}`)));
  });
  // Drain its output as a reader would (to /dev/null here).
  child.stdout?.resume();
  child.stderr?.resume();
  return { child, startupMs: performance.now() - t0 };
}

function traffic(ns: string): Promise<{ connections: number; seconds: number; cpu: number }> {
  return new Promise((res, rej) => {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, 'python3', TRAFFIC, String(RATE), String(SECONDS), '8080'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) =>
      code === 0 ? res(JSON.parse(out)) : rej(new Error(`traffic failed ${code}`)),
    );
  });
}

async function round(tool: Tool | undefined) {
  const ns = `tbench-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  try {
    const before = new Set(progs().map((p) => p.id));
    const started = tool ? await startTool(tool, ns) : undefined;
    const mine = new Set(
      progs()
        .map((p) => p.id)
        .filter((id) => !before.has(id)),
    );
    const pids = started ? descendants(started.child.pid as number) : [];
    const cpu0 = cpuOf(pids);
    const ns0 = runNs(mine);
    const t0 = performance.now();
    const load = await traffic(ns);
    const wall = (performance.now() - t0) / 1000;
    const userCpu = cpuOf(pids) - cpu0;
    const bpfCpu = (runNs(mine) - ns0) / 1e9;
    started?.child.kill('SIGINT');
    if (started) await new Promise((r) => started.child.once('exit', r));
    return {
      startupMs: started?.startupMs ?? 0,
      overhead: (userCpu + bpfCpu) / wall,
      user: userCpu / wall,
      bpf: bpfCpu / wall,
      changesPerSec: (load.connections * 10) / load.seconds,
      trafficCpu: load.cpu / load.seconds,
    };
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

/** ms from spawn to exit of a command, median of `n`. */
function startExit(command: string, args: string[], n = 5): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    execFileSync(command, args, { env: NODE_ENV, stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The loader's records for `seconds` of the bench traffic, as the pipe carries them. */
async function capture(seconds: number): Promise<Buffer> {
  const ns = `tbcap-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  try {
    const loader = spawn(
      join(root, 'dist/bpf/tcpstate-trace'),
      ['--netns', String(statSync(`/run/netns/${ns}`).ino)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const chunks: Buffer[] = [];
    loader.stdout.on('data', (d: Buffer) => chunks.push(d));
    await new Promise((r) => loader.stdout.once('data', r));
    execFileSync('ip', ['netns', 'exec', ns, 'python3', TRAFFIC, String(RATE), String(seconds), '8080']);
    await new Promise((r) => setTimeout(r, 100));
    loader.stdin.end();
    await new Promise((r) => loader.once('exit', r));
    return Buffer.concat(chunks);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

/** µs per change of each stage, replaying `buf` `reps` times, the line built one way or the other. */
function replay(buf: Buffer, direct: boolean, reps: number) {
  const t = { decode: 0, track: 0, summary: 0, line: 0 };
  let changes = 0;
  let bytes = 0;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const batch = RECORD_SIZE * 512; // about what one read of the pipe brings at this rate
  for (let r = 0; r < reps; r++) {
    const tracker = new KernelTracker();
    const summary = new TraceSummarizer();
    for (let at = 0; at + RECORD_SIZE <= buf.length; at += batch) {
      const end = Math.min(buf.length - (buf.length % RECORD_SIZE), at + batch);
      const t0 = performance.now();
      const records = [];
      for (let p = at; p < end; p += RECORD_SIZE) {
        const kind = buf[p + 40];
        if (kind !== RecordKind.ready && kind !== RecordKind.stats) records.push(decodeRecord(buf, p, view));
      }
      const t1 = performance.now();
      const out: StateChange[] = [];
      for (const record of records) tracker.push(record, out);
      const t2 = performance.now();
      for (const c of out) summary.add(c);
      const t3 = performance.now();
      let text = '';
      if (direct) for (const c of out) text += `${traceChangeNdjson(c, 1.7e12, 0)}\n`;
      else for (const c of out) text += `${JSON.stringify(traceChangeJson(c, 1.7e12, 0))}\n`;
      const t4 = performance.now();
      bytes += text.length;
      t.decode += t1 - t0;
      t.track += t2 - t1;
      t.summary += t3 - t2;
      t.line += t4 - t3;
      changes += out.length;
    }
  }
  const us = (ms: number) => (ms * 1000) / changes;
  return {
    decode: us(t.decode),
    track: us(t.track),
    summary: us(t.summary),
    line: us(t.line),
    total: us(t.decode + t.track + t.summary + t.line),
    perRep: changes / reps,
    bytes,
  };
}

const statsWas = execFileSync('sysctl', ['-n', 'kernel.bpf_stats_enabled'], { encoding: 'utf8' }).trim();
execFileSync('sysctl', ['-qw', 'kernel.bpf_stats_enabled=1']);
try {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `rate ${RATE} connections/s (${RATE * 10} state changes/s), ${SECONDS} s per round, ${ROUNDS} rounds; load average ${load}`,
  );
  const results: Record<string, Awaited<ReturnType<typeof round>>[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const tool of [undefined, ...TOOLS]) {
      const name = tool?.name ?? 'traffic alone';
      const list = results[name] ?? [];
      list.push(await round(tool));
      results[name] = list;
    }
  }
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  console.log(
    '| tool | start-up (ms) | overhead (% of one core) | of which user space | of which BPF in kernel | µs per change | changes/s | traffic CPU |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| \`node -e 0\` (floor: Node's own start-up, to exit) | ${startExit('node', ['-e', '0']).toFixed(0)} | - | - | - | - | - | - |`,
  );
  console.log(
    `| \`tcpstate --version\` (Node and the command line loaded, to exit) | ${startExit('node', [CLI, '--version']).toFixed(0)} | - | - | - | - | - | - |`,
  );
  for (const [name, rs] of Object.entries(results)) {
    const overhead = median(rs.map((x) => x.overhead));
    const rate = median(rs.map((x) => x.changesPerSec));
    const perChange = name === 'traffic alone' ? '-' : ((overhead * 1e6) / rate).toFixed(2);
    console.log(
      `| ${name} | ${name === 'traffic alone' ? '-' : median(rs.map((x) => x.startupMs)).toFixed(0)} | ${pct(overhead)} | ${pct(median(rs.map((x) => x.user)))} | ${pct(median(rs.map((x) => x.bpf)))} | ${perChange} | ${rate.toFixed(0)} | ${pct(median(rs.map((x) => x.trafficCpu)))} |`,
    );
  }

  const buf = await capture(3);
  // Warm both paths up first (the JIT), then alternate them round by round so that load hits both alike.
  replay(buf, false, 3);
  replay(buf, true, 3);
  const before: ReturnType<typeof replay>[] = [];
  const after: ReturnType<typeof replay>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    before.push(replay(buf, false, 10));
    after.push(replay(buf, true, 10));
  }
  const m = (rs: ReturnType<typeof replay>[], k: keyof ReturnType<typeof replay>) =>
    median(rs.map((x) => x[k]));
  console.log('');
  console.log(
    `Node's cost per change, replayed (${m(after, 'perRep').toFixed(0)} changes captured at ${RATE * 10}/s, replayed 10 times per round; median of ${ROUNDS}):`,
  );
  console.log('');
  console.log('| --ndjson line built by | decode | tracker | summary | line | total µs/change | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const row = (name: string, rs: ReturnType<typeof replay>[]) =>
    console.log(
      `| ${name} | ${m(rs, 'decode').toFixed(2)} | ${m(rs, 'track').toFixed(2)} | ${m(rs, 'summary').toFixed(2)} | ${m(rs, 'line').toFixed(2)} | ${m(rs, 'total').toFixed(2)} | ${(m(rs, 'total') / m(after, 'total')).toFixed(2)}x |`,
    );
  row('JSON.stringify of an object per change (before)', before);
  row('traceChangeNdjson, written directly (now)', after);
} finally {
  execFileSync('sysctl', ['-qw', `kernel.bpf_stats_enabled=${statsWas}`]);
}
