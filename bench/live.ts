/**
 * Live snapshot benchmark: ~100k TCP sockets in a private network namespace, then tcpstate and its peers timed side
 * by side in one hyperfine run each (with and without process attribution), plus peak RSS per tool.
 *
 *   npm run build && npx tsx bench/live.ts [--connections-per-process 8400] [--processes 6] [--runs 5]
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

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist/bin/main.js');
const live = join(root, 'dist/sources/proc/live.js');
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
  rssKb?: number;
}

function hyperfine(label: string, commands: [string, string][]): Result[] {
  const out = join(work, `${label}.json`);
  const args = ['-N', '--warmup', '1', '--runs', String(RUNS), '--export-json', out, '--style', 'basic'];
  for (const [name, cmd] of commands) args.push('-n', name, cmd);
  execFileSync('hyperfine', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const json = JSON.parse(readFileSync(out, 'utf8')) as {
    results: { command: string; mean: number; stddev: number; min: number }[];
  };
  return json.results.map((r) => ({ name: r.command, mean: r.mean, stddev: r.stddev, min: r.min }));
}

/** Peak RSS of one run, from GNU time's %M (KiB), the largest of the process tree's members as time reports it. */
function peakRss(cmd: string): number | undefined {
  try {
    const res = execFileSync('sh', ['-c', `/usr/bin/time -f '%M' ${cmd} > /dev/null 2> ${work}/time.txt`], {
      stdio: 'ignore',
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
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535']);
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
  const si = `${node} -e "require('${join(root, 'node_modules/systeminformation')}').networkConnections().then(c=>{if(!c.length)process.exit(1)})"`;
  const psutil = `${PY} -c "import psutil; assert psutil.net_connections('tcp')"`;
  const lib = `${node} --input-type=module -e "const m=await import('${live}'); const s=await m.readLiveSnapshot({}); if(!s.sockets.length) process.exit(1)"`;
  const plain: [string, string][] = [
    ['cat /proc/net/tcp /proc/net/tcp6', `${enter} cat /proc/net/tcp /proc/net/tcp6`],
    ['ss -tan', `${enter} ss -tan`],
    ['netstat -tan', `${enter} netstat -tan`],
    ['tcpstate --json', `${enter} ${node} ${cli} --json`],
    ['tcpstate library readLiveSnapshot()', `${enter} ${lib}`],
    ["psutil net_connections('tcp')", `${enter} ${psutil}`],
    ['systeminformation networkConnections()', `${enter} ${si}`],
  ];
  const withP: [string, string][] = [
    ['ss -tanp', `${enter} ss -tanp`],
    ['netstat -tanp', `${enter} netstat -tanp`],
    ['tcpstate --json -p', `${enter} ${node} ${cli} --json -p`],
    [
      'tcpstate library readLiveSnapshot({processes})',
      `${enter} ${lib.replace('({})', '({processes:true})')}`,
    ],
  ];
  const a = hyperfine('plain', plain);
  const b = hyperfine('processes', withP);
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
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const table = (list: Result[], base: Result) => {
    console.log(`| tool | mean ± σ | min | vs ${base.name} | peak RSS |`);
    console.log('|---|---|---|---|---|');
    for (const r of list) {
      const rss = r.rssKb === undefined ? '?' : `${(r.rssKb / 1024).toFixed(0)} MiB`;
      console.log(
        `| ${r.name} | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} | ${(r.mean / base.mean).toFixed(2)}x | ${rss} |`,
      );
    }
    console.log('');
  };
  console.log(`\n## ${count} sockets, ${RUNS} runs each (+1 warm-up), ${new Date().toISOString()}\n`);
  table(a, find(a, 'ss -tan'));
  table(b, find(b, 'ss -tanp'));
  const cat = find(a, 'cat /proc/net/tcp /proc/net/tcp6');
  const ss = find(a, 'ss -tan');
  const ssp = find(b, 'ss -tanp');
  const ratio = (x: Result, y: Result) => `${(x.mean / y.mean).toFixed(2)}x`;
  for (const name of ['tcpstate --json', 'tcpstate library readLiveSnapshot()']) {
    const r = find(a, name);
    console.log(`${name}: ${ratio(r, ss)} of ss -tan, ${ratio(r, cat)} of cat`);
  }
  for (const name of ['tcpstate --json -p', 'tcpstate library readLiveSnapshot({processes})']) {
    console.log(`${name}: ${ratio(find(b, name), ssp)} of ss -tanp`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanup);
