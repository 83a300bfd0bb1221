/**
 * Text parser speed against jc (Debian `jc --ss`, `jc --netstat`) on the same input, in one run.
 *
 * Input: real `ss -tuan` (jc needs the Netid column) and `netstat -tan` output taken inside a fresh network namespace (`unshare -n`) holding
 * ~3000 loopback sockets in LISTEN, ESTABLISHED, TIME_WAIT, FIN_WAIT_2 and CLOSE_WAIT, repeated to LINES lines.
 *
 *   npx tsx bench/text.ts [LINES=1000000] [JC_LINES=200000]
 *
 * jc is slow enough that it gets a JC_LINES prefix of the same file (a whole 1M-line run takes minutes on a shared
 * 2-core machine); lines/s are compared, which is what the ratio is about.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTextBytes } from '../src/sources/text/index.ts';

const LINES = Number(process.argv[2] ?? 1_000_000);
const JC_LINES = Number(process.argv[3] ?? 200_000);

const HOLDER = `
import socket, subprocess, sys, time
subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
L = socket.socket(); L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); L.bind(('127.0.0.1', 8080)); L.listen(4096)
keep = []
for i in range(1500):
    c = socket.create_connection(('127.0.0.1', 8080)); s, _ = L.accept()
    if i % 5 == 0: c.close(); s.close()          # both closed: TIME_WAIT on the client side
    elif i % 5 == 1: c.close(); keep.append(s)     # peer closed: CLOSE_WAIT here, FIN_WAIT_2 there
    else: keep += [c, s]
time.sleep(0.2)
for cmd in (['ss', '-tuan'], ['netstat', '-tan']):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    sys.stdout.write('=====' + cmd[0] + '\\n' + out)
`;

function capture(): { ss: string; netstat: string } {
  const r = spawnSync('unshare', ['-n', 'python3', '-c', HOLDER], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`capture failed (needs root for unshare -n): ${r.stderr}`);
  const [, ss = '', netstat = ''] = r.stdout.split(/=====(?:ss|netstat)\n/);
  return { ss, netstat };
}

/**
 * The same rows with every peer made distinct (10.a.b.c:port from the row number), as a real million-socket listing
 * would have them: the repeated rows above let caches hit far more often than real input does.
 */
function distinctPeers(text: string, headerLines: number, peerToken: number): string {
  const all = text.trimEnd().split('\n');
  const out = all.slice(0, headerLines);
  for (let i = headerLines; i < all.length; i++) {
    const parts = all[i]!.split(/(\s+)/);
    const at = peerToken * 2;
    if (parts[at]?.includes(':')) {
      const n = i - headerLines;
      parts[at] = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}:${1024 + (n % 60000)}`;
    }
    out.push(parts.join(''));
  }
  return `${out.join('\n')}\n`;
}

/** Header once, then the socket rows repeated until the file has `lines` lines. */
function grow(text: string, headerLines: number, lines: number): string {
  const all = text.trimEnd().split('\n');
  const head = all.slice(0, headerLines);
  const rows = all.slice(headerLines);
  const out = [...head];
  while (out.length < lines) out.push(...rows.slice(0, lines - out.length));
  return `${out.join('\n')}\n`;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

const dir = mkdtempSync(join(tmpdir(), 'tcpstate-bench-text-'));
try {
  const { ss, netstat } = capture();
  const cases = [
    { name: 'ss -tuan', text: grow(ss, 1, LINES), jc: '--ss' },
    { name: 'netstat -tan', text: grow(netstat, 2, LINES), jc: '--netstat' },
    { name: 'ss -tuan, distinct peers', text: distinctPeers(grow(ss, 1, LINES), 1, 5), jc: '--ss' },
    {
      name: 'netstat -tan, distinct peers',
      text: distinctPeers(grow(netstat, 2, LINES), 2, 4),
      jc: '--netstat',
    },
  ];
  console.log(
    `input: ${ss.split('\n').length - 2} real sockets from a namespace, repeated to ${LINES} lines`,
  );
  for (const c of cases) {
    const bytes = Buffer.from(c.text);
    parseTextBytes(bytes.subarray(0, 1 << 20)); // warm-up
    // Three timed runs; the median is reported (the machine is shared, so single runs swing).
    // Only the count is kept, so one run's million sockets do not weigh on the next run's garbage collector.
    const runs = [0, 1, 2].map(() => time(() => parseTextBytes(bytes, { name: c.name }).sockets.length));
    runs.sort((a, b) => a.ms - b.ms);
    const ours = runs[1]!;
    const oursRate = LINES / (ours.ms / 1000);
    const jcInput = grow(c.text, c.name.startsWith('ss') ? 1 : 2, JC_LINES);
    const file = join(dir, 'jc.txt');
    writeFileSync(file, jcInput);
    const jc = time(() =>
      spawnSync('sh', ['-c', `jc ${c.jc} < ${file} > /dev/null`], {
        stdio: 'inherit',
        env: { ...process.env, LC_ALL: 'C' },
      }),
    );
    const jcRate = JC_LINES / (jc.ms / 1000);
    console.log(
      `${c.name.padEnd(29)} tcpstate ${ours.value} sockets, ${(bytes.length / 1e6).toFixed(0)} MB in ${ours.ms.toFixed(0)} ms (runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')}) = ${(oursRate / 1e6).toFixed(2)}M lines/s · ` +
        `jc ${c.jc} ${JC_LINES} lines in ${jc.ms.toFixed(0)} ms = ${(jcRate / 1e3).toFixed(0)}k lines/s · ratio ${(oursRate / jcRate).toFixed(1)}x`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
