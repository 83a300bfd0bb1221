/**
 * Capture benchmark: a large capture of real loopback traffic made in a throw-away network namespace, then read
 * side by side by the tcpstate command line (`pcap`, `pcap --zeek`, `pcap --ndjson`; full tracking: Zeek layer +
 * RFC inference of both endpoints + anomalies), tcptrace -n and tshark -q -z conv,tcp, every output to /dev/null,
 * and by the library alone in-process (bench/capture-run.mjs). Wall time and peak RSS of each process come from
 * /usr/bin/time. bench/capture-floor.mjs gives the least a tracker costs on the same capture.
 *
 *   npx tsx bench/capture.ts [--connections N] [--regen] [--file PATH] [--all-cores] [--long] [--runs N]
 *
 * --long makes (and reads) a second capture, bench/out/long.pcap: 2,000 connections that each trade 500 small
 * messages (~2M packets, ~1,000 per connection). It shows the cost per packet; the default capture (8.6 packets
 * per connection) is dominated by the cost per connection.
 *
 * The capture is kept in bench/out/ (git-ignored) and reused; --regen makes a new one. Needs root, tcpdump, tshark,
 * tcptrace. tcpstate runs from dist/ (built here with tsc) so no loader sits in the measured process.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'bench/out');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const long = flag('--long');
const file = value('--file', join(outDir, long ? 'long.pcap' : 'loopback.pcap'));
const connections = Number(value('--connections', long ? '2000' : '240000'));

async function generate(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const ns = `tcpbench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'mtu', '1500', 'up']);
    const dump = spawn(
      'ip',
      ['netns', 'exec', ns, 'tcpdump', '-i', 'lo', '-s', '96', '-B', '65536', '-w', file],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
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
        String(connections),
        long ? '64' : '128',
        ...(long ? ['long'] : []),
      ],
      { encoding: 'utf8', cwd: root },
    );
    process.stderr.write(
      `generator: ${gen.stdout.trim()} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
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
  tool: string;
  seconds: number;
  rssMiB: number;
  output: string;
}

/**
 * The goal is stated per core, so every tool runs pinned to one CPU (taskset), helper threads included: Node's
 * garbage collector and tshark's threads then share that core instead of borrowing a second one. `--all-cores`
 * lets them use the whole machine.
 */
const pin = flag('--all-cores') ? [] : ['taskset', '-c', '0'];

/** Runs a command under /usr/bin/time; with `discard` its output goes to /dev/null (as a user would redirect it). */
function timed(tool: string, command: string, commandArgs: string[], discard = false): Timing {
  const devNull = discard ? openSync('/dev/null', 'w') : undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...pin, command, ...commandArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    cwd: root,
    stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
  });
  if (devNull !== undefined) closeSync(devNull);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [secs, kb] = last.split(' ').map(Number);
  return { tool, seconds: secs ?? Number.NaN, rssMiB: (kb ?? 0) / 1024, output: r.stdout };
}

if (flag('--regen') || !existsSync(file)) await generate();
const packets = Number(
  execFileSync('capinfos', ['-c', '-M', file], { encoding: 'utf8' }).match(
    /Number of packets:\s+(\d+)/,
  )?.[1] ?? 0,
);
process.stderr.write(
  `capture: ${file}, ${packets} packets, ${(statSync(file).size / 1048576).toFixed(0)} MiB\n`,
);
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
execFileSync('node', ['scripts/post-build.mjs'], { cwd: root, stdio: 'inherit' });

// Warm the page cache so every tool reads from memory.
execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
// Every tool's output goes to /dev/null. The three tcpstate rows are the CLI as a user runs it: the default
// summary, one conn.log line per connection (what tcptrace -n and tshark's conv table print), and one full JSON
// record per connection.
const cli = join(root, 'dist/bin/main.js');
const tools: Array<[string, string, string[]]> = [
  ['tcpstate pcap (summary)', process.execPath, [cli, 'pcap', file]],
  ['tcpstate pcap --zeek (a line each)', process.execPath, [cli, 'pcap', file, '--zeek']],
  ['tcpstate pcap --ndjson (a record each)', process.execPath, [cli, 'pcap', file, '--ndjson']],
  ['tcptrace -n', 'tcptrace', ['-n', file]],
  ['tshark -q -z conv,tcp', 'tshark', ['-r', file, '-q', '-z', 'conv,tcp']],
];
// Timings on a shared VM drift by tens of percent from one minute to the next, so each tool runs `--runs` times
// (default 3), in rounds (every tool once per round, so drift hits them alike), and its median counts.
const rounds = Number(value('--runs', '3'));
const samples = new Map<string, Timing[]>(tools.map(([tool]) => [tool, []]));
const innerRuns: Array<{ seconds: number; cpuSeconds: number; maxLive: number; connections: number }> = [];
for (let round = 0; round < rounds; round++) {
  for (const [tool, command, commandArgs] of tools)
    samples.get(tool)!.push(timed(tool, command, commandArgs, true));
  // The library alone (read + decode + track + tally conn_state and anomalies), without start-up or output.
  const library = timed('library', process.execPath, [join(root, 'bench/capture-run.mjs'), file]);
  innerRuns.push(JSON.parse(library.output.trim().split('\n').pop() ?? '{}'));
}
const median = <T>(xs: T[], key: (x: T) => number): T =>
  [...xs].sort((p, q) => key(p) - key(q))[xs.length >> 1]!;
const runs: Array<Timing & { min: number; max: number }> = tools.map(([tool]) => {
  const xs = samples.get(tool)!;
  const secs = xs.map((x) => x.seconds);
  return {
    ...median(xs, (x) => x.seconds),
    rssMiB: Math.max(...xs.map((x) => x.rssMiB)),
    min: Math.min(...secs),
    max: Math.max(...secs),
  };
});
const ours = runs[0]!;
const inner = median(innerRuns, (x) => x.seconds);
console.log(
  `\n${packets} packets, Node ${process.version}, ${new Date().toISOString()}, ${pin.length > 0 ? 'every tool on one core (taskset -c 0)' : 'all cores'}, median of ${rounds}`,
);
console.log(
  'tool'.padEnd(42),
  'wall s'.padStart(8),
  'min-max'.padStart(11),
  'Mpkt/s'.padStart(8),
  'peak RSS MiB'.padStart(13),
  'vs tcpstate'.padStart(12),
);
for (const r of runs) {
  console.log(
    r.tool.padEnd(42),
    r.seconds.toFixed(2).padStart(8),
    `${r.min.toFixed(2)}-${r.max.toFixed(2)}`.padStart(11),
    (packets / r.seconds / 1e6).toFixed(3).padStart(8),
    r.rssMiB.toFixed(0).padStart(13),
    `${(r.seconds / ours.seconds).toFixed(1)}x`.padStart(12),
  );
}
if (inner !== undefined) {
  console.log(
    `tcpstate library in-process (read + decode + track + tally, no start-up, no output; median): ${inner.seconds.toFixed(2)} s wall, ${inner.cpuSeconds.toFixed(2)} s CPU = ${(packets / inner.seconds / 1e6).toFixed(2)} Mpkt/s, ${inner.connections} connections, at most ${inner.maxLive} live`,
  );
}
