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
 * Needs root, bpftool, python3, stdbuf, tcpstates (libbpf-tools).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
    '| tool | start-up (ms) | overhead (% of one core) | of which user space | of which BPF in kernel | changes/s | traffic CPU |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, rs] of Object.entries(results)) {
    console.log(
      `| ${name} | ${name === 'traffic alone' ? '-' : median(rs.map((x) => x.startupMs)).toFixed(0)} | ${pct(median(rs.map((x) => x.overhead)))} | ${pct(median(rs.map((x) => x.user)))} | ${pct(median(rs.map((x) => x.bpf)))} | ${median(rs.map((x) => x.changesPerSec)).toFixed(0)} | ${pct(median(rs.map((x) => x.trafficCpu)))} |`,
    );
  }
} finally {
  execFileSync('sysctl', ['-qw', `kernel.bpf_stats_enabled=${statsWas}`]);
}
