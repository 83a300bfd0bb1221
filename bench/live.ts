/**
 * Live snapshot benchmark: ~100k TCP sockets in a private network namespace, then tcpstate and its peers timed side
 * by side in one hyperfine run each (with and without process attribution), plus peak RSS per tool.
 *
 *   npm run build && npx tsx bench/live.ts [--connections-per-process 8400] [--processes 6] [--runs 5]
 *       [--cpus 1] [--idle-seconds 60] [--quick] [--with-p] [--idle-only] [--rows json,csv]
 *
 * `--rows a,b` times only the rows whose name contains one of the words (the floors, `ss -tan`, the histogram
 * one-liner and `tcpstate` always run, for the ratios). 100,806 sockets by default; `--processes 30 --quick --idle-seconds 0` stages 504,030 (30 holders of 16,800 fds
 * each, under the container's 20,000-fd limit). Every `node` command runs with NODE_EXTRA_CA_CERTS unset (a
 * machine that sets it makes each node start-up parse a CA bundle, ~50 ms, which users normally do not pay), and two
 * floor rows say what any Node tool pays here: `node -e 0`, and Node plus one sock_diag dump through our addon
 * with nothing done with the records.
 *
 * The netlink reader (native/, built by npm install) is what `tcpstate` uses by default; `--reader proc` rows
 * measure the /proc reader side by side. watch and serve run for --idle-seconds at a 5 s interval and their CPU time
 * (utime+stime of the whole process with its threads and reaped children, from /proc; the first look falls in a
 * 7 s start-up allowance and is not counted; `--trace off`) is reported as a share of one core and per look.
 *
 * Needs root (network namespace), hyperfine, iproute2, net-tools, /usr/bin/python3 with psutil. Everything runs
 * inside a namespace created here (loopback only), which is deleted at the end.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PER_PROCESS = arg('connections-per-process', 8400); // 2 sockets per connection; fds stay under a 20k limit
const PROCESSES = arg('processes', 6);
const RUNS = arg('runs', 5);
/** Seconds each of watch and serve runs at a 5 s interval for the CPU figure (0: skip). */
const IDLE_SECONDS = arg('idle-seconds', 60);
/** Only watch and serve (no hyperfine groups). */
const IDLE_ONLY = process.argv.includes('--idle-only');
/** Only the plain group (skip -p, psutil, systeminformation): for the 500k run. */
const QUICK = process.argv.includes('--quick');
/** `--rows json,csv`: only the plain rows whose names contain one of these (besides the base rows). */
const rowsAt = process.argv.indexOf('--rows');
const ROWS = rowsAt > 0 ? process.argv[rowsAt + 1]!.split(',') : undefined;
/** With --quick, still run the -p group. */
const WITH_P = !QUICK || process.argv.includes('--with-p');
/** The environment of every timed command: NODE_EXTRA_CA_CERTS costs each node start ~50 ms here (see above). */
const ENV: NodeJS.ProcessEnv = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;
/** Pin every command to these CPUs (taskset -c), e.g. `--cpus 1`. */
const cpusAt = process.argv.indexOf('--cpus');
const CPUS = cpusAt > 0 ? process.argv[cpusAt + 1] : undefined;

const root = resolve(import.meta.dirname, '..');
const FLOOR = 'node -e 0 (floor: Node start-up)';
const DUMP_FLOOR = 'node + one sock_diag dump (floor of a Node netlink reader)';
const HISTOGRAM = "ss -tan | awk '{print $1}' | sort | uniq -c";
const cli = join(root, 'dist/bin/main.js');
const live = join(root, 'dist/sources/proc/live.js');
const reader = join(root, 'dist/sources/netlink/reader.js');
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'; // Debian's python3-psutil lives there

if (process.getuid?.() !== 0) throw new Error('bench/live.ts needs root (it creates a network namespace)');
for (const tool of ['hyperfine', 'ss', 'netstat', 'nsenter', '/usr/bin/time']) {
  execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
}
if (!existsSync(cli)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });

const ns = `tcpst-bench-${process.pid}-${randomBytes(2).toString('hex')}`;
const holders: ChildProcess[] = [];
const work = mkdtempSync(join(tmpdir(), 'tcpstate-bench-'));

function cleanup(): void {
  for (const h of holders) {
    try {
      h.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // never created
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

interface Result {
  name: string;
  mean: number;
  stddev: number;
  min: number;
  /** CPU seconds (user + system) per run: on a loaded machine the honest figure, since wall time waits for a core. */
  cpu: number;
  rssKb?: number;
}

function hyperfine(label: string, commands: [string, string][]): Result[] {
  const out = join(work, `${label}.json`);
  const args = ['-N', '--warmup', '1', '--runs', String(RUNS), '--export-json', out, '--style', 'basic'];
  for (const [name, cmd] of commands) args.push('-n', name, cmd);
  execFileSync('hyperfine', args, { stdio: ['ignore', 'inherit', 'inherit'], env: ENV });
  const json = JSON.parse(readFileSync(out, 'utf8')) as {
    results: { command: string; mean: number; stddev: number; min: number; user: number; system: number }[];
  };
  return json.results.map((r) => ({
    name: r.command,
    mean: r.mean,
    stddev: r.stddev,
    min: r.min,
    cpu: r.user + r.system,
  }));
}

/** Peak RSS of one run, from GNU time's %M (KiB), the largest of the process tree's members as time reports it. */
function peakRss(cmd: string): number | undefined {
  try {
    const res = execFileSync('sh', ['-c', `/usr/bin/time -f '%M' ${cmd} > /dev/null 2> ${work}/time.txt`], {
      stdio: 'ignore',
      env: ENV,
    });
    void res;
    const lines = readFileSync(`${work}/time.txt`, 'utf8').trim().split('\n');
    return Number(lines.at(-1));
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // Ephemeral ports start above the holders' listening ports (9000 + i): the holders start at once, and one's client
  // could otherwise take a later holder's port first (EADDRINUSE).
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=10000 65535']);
  const t0 = Date.now();
  const ready: Promise<void>[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const addr = i % 2 === 0 ? '127.0.0.1' : '::1';
    const h = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        PY,
        join(root, 'bench/live-holder.py'),
        addr,
        String(9000 + i),
        String(PER_PROCESS),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    holders.push(h);
    ready.push(
      new Promise((ok, fail) => {
        h.stdout?.on('data', (d: Buffer) => {
          if (d.toString().startsWith('ready')) ok();
        });
        h.on('exit', (code) => fail(new Error(`socket holder ${i} exited with ${code}`)));
      }),
    );
  }
  await Promise.all(ready);
  const enter = `nsenter --net=/run/netns/${ns}`;
  const count = execFileSync('sh', ['-c', `${enter} cat /proc/net/tcp /proc/net/tcp6 | grep -c ':'`], {
    encoding: 'utf8',
  }).trim();
  const bytes = execFileSync('sh', ['-c', `${enter} cat /proc/net/tcp /proc/net/tcp6 | wc -c`], {
    encoding: 'utf8',
  }).trim();
  console.log(
    `\n${count} TCP sockets (${bytes} bytes of /proc text) in netns ${ns}, built in ${Date.now() - t0} ms\n`,
  );

  const node = process.execPath;
  const pin = CPUS === undefined ? '' : `taskset -c ${CPUS} `;
  const enterPinned = `${pin}${enter}`;
  const si = `${node} -e "require('${join(root, 'node_modules/systeminformation')}').networkConnections().then(c=>{if(!c.length)process.exit(1)})"`;
  const psutil = `${PY} -c "import psutil; assert psutil.net_connections('tcp')"`;
  const lib = `${node} --input-type=module -e "const m=await import('${live}'); const s=await m.readLiveSnapshot({}); if(!s.sockets.length) process.exit(1)"`;
  const dumpOnly = `${node} --input-type=module -e "const m=await import('${reader}'); const r=m.SockDiagReader.open(); if(!r.dump({}).count) process.exit(1); r.close()"`;
  const tcpstate = `${enterPinned} ${node} ${cli}`;
  const plain: [string, string][] = [
    [FLOOR, `${pin}${node} -e 0`],
    [DUMP_FLOOR, `${enterPinned} ${dumpOnly}`],
    ['cat /proc/net/tcp /proc/net/tcp6', `${enterPinned} cat /proc/net/tcp /proc/net/tcp6`],
    ['ss -tan', `${enterPinned} ss -tan`],
    [HISTOGRAM, `${enterPinned} sh -c "ss -tan | awk '{print \\$1}' | sort | uniq -c"`],
    ['netstat -tan', `${enterPinned} netstat -tan`],
    ['tcpstate', tcpstate],
    ['tcpstate --reader proc', `${tcpstate} --reader proc`],
    ['tcpstate -s close-wait', `${tcpstate} -s close-wait`],
    // A port filter the kernel runs as bytecode (one holder's listener: 16,801 of the 100,806 sockets).
    ['tcpstate --port 9001', `${tcpstate} --port 9001`],
    ['ss -tan sport = :9001 or dport = :9001', `${enterPinned} ss -tan "sport = :9001 or dport = :9001"`],
    ['tcpstate --json', `${tcpstate} --json`],
    ['tcpstate --json --reader proc', `${tcpstate} --json --reader proc`],
    ['tcpstate --ndjson', `${tcpstate} --ndjson`],
    ['tcpstate --csv', `${tcpstate} --csv`],
    ['tcpstate -l', `${tcpstate} -l`],
    ...(QUICK
      ? []
      : ([
          ['tcpstate library readLiveSnapshot() (proc)', `${enterPinned} ${lib}`],
          ["psutil net_connections('tcp')", `${enterPinned} ${psutil}`],
          ['systeminformation networkConnections()', `${enterPinned} ${si}`],
        ] as [string, string][])),
  ];
  const base = new Set([FLOOR, DUMP_FLOOR, 'ss -tan', HISTOGRAM, 'tcpstate']);
  if (ROWS !== undefined) {
    const keep = plain.filter(([name]) => base.has(name) || ROWS.some((word) => name.includes(word)));
    plain.splice(0, plain.length, ...keep);
  }
  const withP: [string, string][] = [
    ['ss -tanp', `${enterPinned} ss -tanp`],
    ['netstat -tanp', `${enterPinned} netstat -tanp`],
    ['tcpstate -p', `${tcpstate} -p`],
    ['tcpstate --json -p', `${tcpstate} --json -p`],
    ['tcpstate --json -p --reader proc', `${tcpstate} --json -p --reader proc`],
  ];
  if (IDLE_ONLY) return longRunning(count, node);
  const a = hyperfine('plain', plain);
  const b = WITH_P ? hyperfine('processes', withP) : [];
  for (const [list, cmds] of [
    [a, plain],
    [b, withP],
  ] as const) {
    list.forEach((r, i) => {
      const rss = peakRss(cmds[i]![1]);
      if (rss !== undefined) r.rssKb = rss;
    });
  }
  const find = (list: Result[], name: string) => list.find((r) => r.name === name)!;
  const maybe = (list: Result[], name: string): Result | undefined => list.find((r) => r.name === name);
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const md = (name: string) => name.replaceAll('|', '\\|');
  const table = (list: Result[], base: Result, second?: Result) => {
    const also = second ? ` vs \`${md(second.name)}\` |` : '';
    console.log(
      `| tool | mean ± σ | min | vs \`${base.name}\` |${also} CPU (user+sys) | CPU vs \`${base.name}\` | peak RSS |`,
    );
    console.log(`|---|---|---|---|${second ? '---|' : ''}---|---|---|`);
    for (const r of list) {
      const rss = r.rssKb === undefined ? '?' : `${(r.rssKb / 1024).toFixed(0)} MiB`;
      const vs2 = second ? ` ${x(r.mean, second.mean)} |` : '';
      console.log(
        `| ${md(r.name)} | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} | ${x(r.mean, base.mean)} |${vs2} ${ms(r.cpu)} | ${x(r.cpu, base.cpu)} | ${rss} |`,
      );
    }
    console.log('');
  };
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `\n## ${count} sockets, ${RUNS} runs each (+1 warm-up), ${new Date().toISOString()}, load ${load}${CPUS ? `, taskset -c ${CPUS}` : ''}, NODE_EXTRA_CA_CERTS unset\n`,
  );
  const ss = find(a, 'ss -tan');
  const hist = find(a, HISTOGRAM);
  table(a, ss, hist);
  if (b.length) table(b, find(b, 'ss -tanp'));
  const goal = (r: Result | undefined, base: Result, limit: number) => {
    if (r === undefined) return;
    const ratio = r.mean / base.mean;
    console.log(
      `- \`${md(r.name)}\`: ${ratio.toFixed(2)}x of \`${md(base.name)}\` (goal <= ${limit}x: ${ratio <= limit ? 'met' : 'missed'}; CPU ${x(r.cpu, base.cpu)})`,
    );
  };
  const floor = find(a, FLOOR);
  const dumpFloor = find(a, DUMP_FLOOR);
  console.log(
    `Floors: \`node -e 0\` is ${x(floor.mean, ss.mean)} of \`ss -tan\`; Node plus one sock_diag dump is ${x(dumpFloor.mean, ss.mean)} (${x(dumpFloor.mean, hist.mean)} of the histogram).\n`,
  );
  goal(find(a, 'tcpstate'), hist, 0.5);
  goal(find(a, 'tcpstate'), ss, 1.0);
  goal(maybe(a, 'tcpstate -s close-wait'), ss, 0.3);
  goal(maybe(a, 'tcpstate --json'), ss, 1.5);
  const proc = maybe(a, 'tcpstate --reader proc');
  if (proc) console.log(`- \`tcpstate --reader proc\`: ${x(proc.mean, ss.mean)} of \`ss -tan\``);
  if (b.length) {
    const ssp = find(b, 'ss -tanp');
    goal(find(b, 'tcpstate -p'), ssp, 0.5);
    goal(find(b, 'tcpstate --json -p'), ssp, 0.5);
  }
  await longRunning(count, node);
}

async function longRunning(count: string, node: string): Promise<void> {
  if (IDLE_SECONDS > 0) {
    const rows: [string, { share: number; looks: number }][] = [];
    for (const [name, args] of [
      ['watch -i 5s', ['watch', '-i', '5s', '--plain']],
      ['serve --interval 5s', ['serve', '--interval', '5s', '--port', '0']],
    ] as const) {
      const r = await cpuShare([
        ...(CPUS ? ['taskset', '-c', CPUS] : []),
        'nsenter',
        `--net=/run/netns/${ns}`,
        node,
        cli,
        ...args,
      ]);
      rows.push([name, r]);
      console.log(`${name}: ${(r.share * 100).toFixed(1)}% of one core over ${IDLE_SECONDS} s (goal <= 5%)`);
    }
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(
      `\n${new Date().toISOString()}, load ${load}${CPUS ? `, taskset -c ${CPUS}` : ''}\n\n| long-running, 5 s interval, ${count} sockets | share of one core | CPU per look | goal |\n|---|---|---|---|`,
    );
    for (const [name, r] of rows) {
      console.log(
        `| \`${name}\` | ${(r.share * 100).toFixed(1)}% | ${((r.share * 5000) | 0).toString()} ms | ≤ 5% (250 ms) |`,
      );
    }
    console.log(
      `\nCPU = utime+stime of the process and all its threads (worker, libuv pool) plus its reaped children, from /proc/PID/stat, over ${IDLE_SECONDS} s after a ${WARMUP_S} s start-up allowance that holds the first look; NODE_EXTRA_CA_CERTS unset; --trace off.`,
    );
  }
}

/**
 * utime+stime of a process in clock ticks, from /proc/<pid>/stat: the whole thread group (the serve worker thread
 * and libuv's pool included), plus cutime+cstime of children it has waited for (an `ss` it ran, say).
 */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/** Seconds left to a long-running command to start and take its first look, which is not counted. */
const WARMUP_S = 7;

/**
 * Runs a long-lived command for IDLE_SECONDS after a start-up allowance (its start and first look, which cost more
 * than a steady look: module loading, JIT, first-touch memory) and returns its CPU time as a share of one core.
 * taskset and nsenter exec into node, so the pid is node's. The kernel trace is off (`--trace off`): its BPF feed is
 * issue 18's cost, measured by bench/trace.ts; this figure is the looks'.
 */
async function cpuShare(argv: string[]): Promise<{ share: number; looks: number }> {
  const child = spawn(argv[0]!, [...argv.slice(1), '--trace', 'off'], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: ENV,
  });
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const t0 = cpuTicks(child.pid!);
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const t1 = cpuTicks(child.pid!);
  const wall = (Date.now() - w0) / 1000;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { share: (t1 - t0) / 100 / wall, looks: wall / 5 };
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanup);
