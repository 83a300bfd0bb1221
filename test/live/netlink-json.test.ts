/**
 * The per-socket outputs of a netlink snapshot (`--json`, `--ndjson`, `--csv`, `-l`) are written straight from the
 * dump's records; they must be byte for byte what the same snapshot gives as `Socket` objects (JSON.stringify of
 * each). On the staged namespaces (every state, IPv4, IPv6, v4-mapped, timers, queues), with owners (-p), tcp_info
 * (-i), the CLOSE_WAIT second dump, and a real cgroup and a real process whose names need JSON escaping.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewOf } from '../../src/analysis/view.ts';
import { emitView, type ViewOptions } from '../../src/cli/view.ts';
import { diagnose } from '../../src/diagnose/index.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { tableOf } from '../../src/model/socket-table.ts';
import { cgroup2Mount } from '../../src/sources/netlink/cgroups.ts';
import { readNetlinkSnapshot } from '../../src/sources/netlink/live.ts';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { RecordTable } from '../../src/sources/netlink/table.ts';
import type { NetnsPair } from '../helpers/netns.ts';
import { waitFor } from '../helpers/netns.ts';
import { canStageStates, stageAllStates } from '../helpers/staged-states.ts';

const mount = cgroup2Mount();
const skipReason =
  netlinkUnavailableReason() ??
  (canStageStates
    ? mount === undefined
      ? 'no cgroup2 mount'
      : undefined
    : 'needs root, python3, nft and nsenter');
const title = `per-socket outputs from the records${skipReason ? ` (skipped: ${skipReason})` : ''}`;

/** A cgroup name and a process name (comm, at most 15 bytes) that JSON must escape: quote, backslash, controls, non-ASCII. */
const CGROUP = `tcpst-json "q" \\ \t\u0001 é ☃ 😀 ${process.pid}`;
const COMM = 'a"b\\c\u0001\té☃';

/** Everything written to it, as one string. */
class Sink extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

async function emit(snapshot: Snapshot, options: ViewOptions): Promise<string> {
  const out = new Sink();
  const view = viewOf(snapshot, {}, { groups: !(options.ndjson || options.csv || options.listing) });
  await emitView(view, options, { findings: diagnose(snapshot), out: out as unknown as NodeJS.WriteStream });
  return out.text();
}

describe.skipIf(skipReason !== undefined)(title, () => {
  let pair: NetnsPair;
  let child: ChildProcess;
  const dir = `${mount}/${CGROUP}`;

  beforeAll(async () => {
    pair = await stageAllStates('tcpst-js');
    mkdirSync(dir);
    // A listener and a connection to it in namespace a, in the odd cgroup, under an odd name: nsenter (not `ip netns
    // exec`, which remounts /sys) so the shell joins the cgroup before python starts.
    child = spawn('nsenter', [
      `--net=/run/netns/${pair.a.ns}`,
      'sh',
      '-c',
      `echo $$ > "$0/cgroup.procs" && exec python3 -c "$1"`,
      dir,
      [
        'import socket,time',
        `open('/proc/self/comm','w').write(${JSON.stringify(COMM)})`,
        "l=socket.socket();l.bind(('127.0.0.1',7789));l.listen()",
        "c=socket.create_connection(('127.0.0.1',7789));s,_=l.accept()",
        "print('ready',flush=True);time.sleep(120)",
      ].join('\n'),
    ]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor(() => (out.includes('ready') ? true : undefined), 10_000);
  }, 90_000);

  afterAll(() => {
    child?.kill('SIGKILL');
    pair?.cleanup();
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        execFileSync('sleep', ['0.05']);
      }
    }
  });

  const formats: [string, ViewOptions][] = [
    ['--json', { json: true }],
    ['--ndjson', { ndjson: true }],
    ['--csv', { csv: true }],
    ['-l', { listing: true }],
    ['-l -i', { listing: true, info: true }],
  ];

  for (const [reading, options] of [
    ['plain', {}],
    ['-p', { processes: true }],
    ['-i', { info: true }],
    ['-p -i', { processes: true, info: true }],
  ] as const) {
    it(`writes ${reading} snapshots as their objects do, in every format`, async () => {
      for (const ns of [pair.a.ns, pair.b.ns]) {
        const fresh = readNetlinkSnapshot({ netns: ns, ...options });
        const mine: string[] = [];
        for (const [, format] of formats) mine.push(await emit(fresh, format));
        // Written from the records: nothing read `snapshot.sockets` (which builds every object and keeps them).
        expect(tableOf(fresh)).toBeInstanceOf(RecordTable);
        // The same snapshot with its sockets as objects (what the writers formatted before).
        const asObjects = { ...fresh, sockets: [...fresh.sockets] };
        expect(tableOf(asObjects)).not.toBeInstanceOf(RecordTable);
        for (const [k, [name, format]] of formats.entries()) {
          expect(mine[k], `${reading} ${name} in ${ns}`).toBe(await emit(asObjects, format));
        }
      }
    });
  }

  it('wrote what it had to: every state, both families, timers, owners, tcp_info, the odd names', async () => {
    const a = readNetlinkSnapshot({ netns: pair.a.ns, processes: true, info: true });
    const b = readNetlinkSnapshot({ netns: pair.b.ns, processes: true });
    const text = (await emit(a, { ndjson: true })) + (await emit(b, { ndjson: true }));
    const lines = text.trim().split('\n');
    const sockets = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const states = new Set(sockets.map((s) => s.state));
    for (const s of [
      'ESTABLISHED',
      'LISTEN',
      'TIME_WAIT',
      'CLOSE_WAIT',
      'FIN_WAIT_1',
      'FIN_WAIT_2',
      'LAST_ACK',
    ])
      expect(states, s).toContain(s);
    expect(sockets.some((s) => s.family === 'inet6')).toBe(true);
    expect(sockets.some((s) => s.timer !== undefined)).toBe(true);
    expect(sockets.some((s) => s.tcpInfo !== undefined && s.memory !== undefined)).toBe(true);
    // b's CLOSE_WAIT sockets got tcp_info from the second dump without -i.
    const bLines = (await emit(b, { ndjson: true })).trim().split('\n');
    expect(bLines.some((l) => l.includes('"state":"CLOSE_WAIT"') && l.includes('"tcpInfo"'))).toBe(true);
    const odd = sockets.filter((s) => s.cgroup === `/${CGROUP}`);
    expect(odd.length).toBeGreaterThanOrEqual(3); // the listener and both ends of the connection
    expect(
      odd.some((s) => (s.processes as { command: string }[] | undefined)?.some((p) => p.command === COMM)),
    ).toBe(true);
    expect(text).toContain(JSON.stringify(`/${CGROUP}`));
  });
});
