/**
 * Capture benchmark: two captures of real loopback traffic made in a throw-away network namespace, read side by
 * side in ONE run by the tcpstate command line (`pcap`, `--zeek`, `--ndjson`, `--json`, `--at end`; full tracking: Zeek layer
 * + RFC inference of both endpoints + anomalies), tcptrace -n and tshark -q -z conv,tcp, every output to
 * /dev/null, and by the library alone in-process (bench/capture-run.mjs). Then the peak RSS of every tcpstate
 * mode with its output into a pipe whose reader sleeps 5 s before reading. Wall time and peak RSS of each process
 * come from /usr/bin/time. It prints a markdown table ready for docs/benchmarks.md.
 *
 *   npx tsx bench/capture.ts [--regen] [--long] [--runs N] [--no-tshark] [--no-pipe] [--all-cores] [--cpu N]
 *
 * The captures (bench/out/, git-ignored, made once and reused; --regen makes them again, ~5 minutes):
 * - `loopback.pcap`, the bench capture: 240,000 short connections with every kind of close (~2.08M packets);
 * - `short.pcap`: 120,000 such connections (~1.04M packets), the size of the capture issue 19 measured on;
 * - with --long, `long.pcap` too: 2,000 connections that each trade 500 small messages (~2M packets).
 * They come from real sockets (bench/capture-traffic.ts), so two generations differ in timing; compare builds on
 * the same files (bench/capture-md5.sh checks outputs are byte-identical across builds).
 *
 * Node start-up is in every tcpstate timing. This machine sets NODE_EXTRA_CA_CERTS, which makes every `node`
 * start read a CA bundle (~48 ms); users normally do not have it, so every command here runs without it, and a
 * `node -e 0` row shows the start-up floor. Needs root, tcpdump, tshark, tcptrace, capinfos. tcpstate runs from
 * dist/bin (the bundle users run, built here first) so no loader sits in the measured process.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'bench/out');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};

interface Capture {
  file: string;
  connections: number;
  concurrency: number;
  long: boolean;
  label: string;
}
const captures: Capture[] = [
  {
    file: join(outDir, 'loopback.pcap'),
    connections: 240_000,
    concurrency: 128,
    long: false,
    label: 'bench capture, 240k short connections',
  },
  {
    file: join(outDir, 'short.pcap'),
    connections: 120_000,
    concurrency: 128,
    long: false,
    label: '120k short connections',
  },
];
if (flag('--long')) {
  captures.push({
    file: join(outDir, 'long.pcap'),
    connections: 2000,
    concurrency: 64,
    long: true,
    label: '2,000 long connections',
  });
}

/** The environment every measured command runs in: without the CA bundle this machine adds to every start. */
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

async function generate(capture: Capture): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const ns = `tcpbench-capture-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'mtu', '1500', 'up']);
    const dump = spawn(
      'ip',
      ['netns', 'exec', ns, 'tcpdump', '-i', 'lo', '-s', '96', '-B', '65536', '-w', capture.file],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    dump.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    while (!err.includes('listening on')) await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const gen = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--import',
        'tsx',
        join(root, 'bench/capture-traffic.ts'),
        String(capture.connections),
        String(capture.concurrency),
        ...(capture.long ? ['long'] : []),
      ],
      { encoding: 'utf8', cwd: root, env },
    );
    process.stderr.write(
      `${basename(capture.file)}: generator ${gen.stdout.trim()} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise((r) => dump.once('exit', r));
    dump.kill('SIGINT');
    await exited;
    process.stderr.write(
      `${err
        .split('\n')
        .filter((l) => /packets|dropped/.test(l))
        .join('\n')}\n`,
    );
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

interface Timing {
  seconds: number;
  /** User + system CPU seconds: steadier than wall time on a machine others share. */
  cpu: number;
  rssMiB: number;
  output: string;
}

/**
 * The goal is stated per core, so every tool runs pinned to one CPU (taskset), helper threads included: Node's
 * garbage collector and tshark's threads then share that core instead of borrowing a second one. `--all-cores`
 * lets them use the whole machine.
 */
const cpu = value('--cpu', '0');
const pin = flag('--all-cores') ? [] : ['taskset', '-c', cpu];

/** Runs a command under /usr/bin/time; with `discard` its output goes to /dev/null (as a user would redirect it). */
function timed(command: string, commandArgs: string[], discard = false): Timing {
  const devNull = discard ? openSync('/dev/null', 'w') : undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...pin, command, ...commandArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    cwd: root,
    env,
    stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
  });
  if (devNull !== undefined) closeSync(devNull);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [secs, kb, user, sys] = last.split(' ').map(Number);
  return {
    seconds: secs ?? Number.NaN,
    cpu: (user ?? Number.NaN) + (sys ?? Number.NaN),
    rssMiB: (kb ?? 0) / 1024,
    output: r.stdout,
  };
}

/** Peak RSS of `tcpstate pcap FILE MODE` writing into a pipe whose reader sleeps 5 s before reading. */
function slowPipeRss(file: string, mode: string[]): number {
  const quoted = [cli, 'pcap', file, ...mode].map((a) => `'${a}'`).join(' ');
  const report = join(outDir, `rss-${process.pid}.txt`);
  spawnSync(
    'bash',
    [
      '-c',
      `/usr/bin/time -o '${report}' -f '%M' ${pin.join(' ')} node ${quoted} 2>/dev/null | (sleep 5; cat >/dev/null)`,
    ],
    { cwd: root, env, stdio: 'ignore' },
  );
  const kb = Number(readFileSync(report, 'utf8').trim().split('\n').pop());
  rmSync(report, { force: true });
  return kb / 1024;
}

for (const capture of captures) {
  if (flag('--regen') || !existsSync(capture.file)) await generate(capture);
}
const packetsOf = (file: string) =>
  Number(
    execFileSync('capinfos', ['-c', '-M', file], { encoding: 'utf8' }).match(
      /Number of packets:\s+(\d+)/,
    )?.[1] ?? 0,
  );
const packets = captures.map((c) => packetsOf(c.file));
captures.forEach((c, k) => {
  process.stderr.write(
    `capture: ${c.file}, ${packets[k]} packets, ${(statSync(c.file).size / 1048576).toFixed(0)} MiB\n`,
  );
});
// The command users run is the bundle in dist/bin; build it (and dist/capture for the library runner).
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
execFileSync('node', ['scripts/bundle-cli.mjs'], { cwd: root, stdio: 'inherit' });
execFileSync('node', ['scripts/post-build.mjs'], { cwd: root, stdio: 'inherit' });

// Warm the page cache so every tool reads from memory.
for (const c of captures) execFileSync('cat', [c.file], { stdio: ['ignore', 'ignore', 'inherit'] });

const cli = join(root, 'dist/bin/main.js');
type Tool = [name: string, command: string, args: (file: string) => string[]];
const tools: Tool[] = [
  ['`tcpstate pcap` (summary)', 'node', (f) => [cli, 'pcap', f]],
  ['`tcpstate pcap --zeek` (a line each)', 'node', (f) => [cli, 'pcap', f, '--zeek']],
  ['`tcpstate pcap --ndjson` (a record each)', 'node', (f) => [cli, 'pcap', f, '--ndjson']],
  ['`tcpstate pcap --json` (one document)', 'node', (f) => [cli, 'pcap', f, '--json']],
  ['`tcpstate pcap --at end` (the sockets at the end)', 'node', (f) => [cli, 'pcap', f, '--at', 'end']],
  ['`tcptrace -n`', 'tcptrace', (f) => ['-n', f]],
];
if (!flag('--no-tshark'))
  tools.push(['`tshark -q -z conv,tcp`', 'tshark', (f) => ['-r', f, '-q', '-z', 'conv,tcp']]);
const floorTool: Tool = ['`node -e 0` (start-up floor)', 'node', () => ['-e', '0']];

// Timings on a shared VM drift by tens of percent from one minute to the next, so each tool runs `--runs` times
// (default 3), in rounds (every tool on every capture once per round, so drift hits them alike), and its median
// counts.
const rounds = Number(value('--runs', '3'));
const samples = new Map<string, Timing[]>();
const key = (tool: string, k: number) => `${tool}\u0000${k}`;
const push = (k: string, t: Timing) => samples.set(k, [...(samples.get(k) ?? []), t]);
const library: Array<Array<{ seconds: number; cpuSeconds: number; connections: number; maxLive: number }>> =
  captures.map(() => []);
for (let round = 0; round < rounds; round++) {
  push(key(floorTool[0], -1), timed(floorTool[1], floorTool[2]('')));
  captures.forEach((capture, k) => {
    for (const [tool, command, toolArgs] of tools)
      push(key(tool, k), timed(command, toolArgs(capture.file), true));
    const lib = timed('node', [join(root, 'bench/capture-run.mjs'), capture.file]);
    library[k]!.push(JSON.parse(lib.output.trim().split('\n').pop() ?? '{}'));
  });
}
const median = <T>(xs: T[], by: (x: T) => number): T =>
  [...xs].sort((p, q) => by(p) - by(q))[xs.length >> 1]!;
function summary(k: string) {
  const xs = samples.get(k)!;
  const secs = xs.map((x) => x.seconds);
  return {
    seconds: median(xs, (x) => x.seconds).seconds,
    cpu: median(xs, (x) => x.cpu).cpu,
    min: Math.min(...secs),
    max: Math.max(...secs),
    rssMiB: Math.max(...xs.map((x) => x.rssMiB)),
  };
}

const load = execFileSync('uptime', { encoding: 'utf8' })
  .trim()
  .replace(/.*load average: /, '');
console.log(
  `\n${new Date().toISOString()}, Node ${process.version}, ${pin.length > 0 ? `every tool on one core (taskset -c ${cpu})` : 'all cores'}, median of ${rounds} (min–max), NODE_EXTRA_CA_CERTS unset, load average before the table ${load}\n`,
);
captures.forEach((c, k) => {
  console.log(
    `- capture ${k + 1}: ${basename(c.file)}, ${c.label}: ${packets[k]!.toLocaleString('en')} packets`,
  );
});
console.log('');
const head = ['tool'];
const rule = ['---'];
captures.forEach((_, k) => {
  head.push(
    `${k + 1}: wall s (min–max)`,
    `${k + 1}: CPU s`,
    `${k + 1}: Mpkt/s`,
    `${k + 1}: peak RSS MiB`,
    `${k + 1}: tcptrace -n ÷ this`,
  );
  rule.push('---:', '---:', '---:', '---:', '---:');
});
console.log(`| ${head.join(' | ')} |`);
console.log(`| ${rule.join(' | ')} |`);
const tracetimes = captures.map((_, k) => summary(key('`tcptrace -n`', k)).seconds);
for (const [tool] of tools) {
  const cells = [tool];
  captures.forEach((_, k) => {
    const s = summary(key(tool, k));
    cells.push(
      `${s.seconds.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`,
      s.cpu.toFixed(2),
      (packets[k]! / s.seconds / 1e6).toFixed(2),
      s.rssMiB.toFixed(0),
      `${(tracetimes[k]! / s.seconds).toFixed(1)}x`,
    );
  });
  console.log(`| ${cells.join(' | ')} |`);
}
const floor = summary(key(floorTool[0], -1));
console.log(
  `| ${[floorTool[0], ...captures.flatMap(() => [`${floor.seconds.toFixed(2)} (${floor.min.toFixed(2)}–${floor.max.toFixed(2)})`, floor.cpu.toFixed(2), '', floor.rssMiB.toFixed(0), ''])].join(' | ')} |`,
);
const libCells = ['library in-process (no start-up, no output)'];
captures.forEach((_, k) => {
  const m = median(library[k]!, (x) => x.seconds);
  libCells.push(
    m.seconds.toFixed(2),
    m.cpuSeconds.toFixed(2),
    (packets[k]! / m.seconds / 1e6).toFixed(2),
    '',
    `${(tracetimes[k]! / m.seconds).toFixed(1)}x`,
  );
});
console.log(`| ${libCells.join(' | ')} |`);

if (!flag('--no-pipe')) {
  const modes: string[][] = [
    [],
    ['--zeek'],
    ['--ndjson'],
    ['--json'],
    ['--at', 'end'],
    ['--at', '+30'],
    ['--at', 'end', '--json'],
  ];
  console.log(
    '\nPeak RSS (MiB), output into a pipe whose reader sleeps 5 s before reading (`| (sleep 5; cat >/dev/null)`):\n',
  );
  console.log(`| mode | ${captures.map((c) => basename(c.file)).join(' | ')} |`);
  console.log(`| --- | ${captures.map(() => '---:').join(' | ')} |`);
  for (const mode of modes) {
    const cells = captures.map((c) => slowPipeRss(c.file, mode).toFixed(0));
    console.log(`| ${mode.length === 0 ? 'summary' : `\`${mode.join(' ')}\``} | ${cells.join(' | ')} |`);
  }
}
