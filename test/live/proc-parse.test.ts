import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Socket, Warning } from '../../src/model/snapshot.ts';
import { parseSnmpPairs, parseSockstat } from '../../src/sources/proc/kernel.ts';
import { attachBacklogs, parseSsListeners } from '../../src/sources/proc/listen-backlog.ts';
import {
  decodeProcAddress,
  ProcNetTcpParser,
  parseProcNetTcp,
  parseProcNetTcpBytes,
} from '../../src/sources/proc/proc-net-tcp.ts';
import { attachProcesses, readSocketOwners } from '../../src/sources/proc/processes.ts';
import { readProcNetTcpFiles } from '../../src/sources/proc/read-file.ts';
import { stateFromLinuxCode } from '../../src/states/states.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/netstat/${name}`, import.meta.url), 'utf8').replace(/^#.*\n/gm, '');

/** The obvious split-based reading of a /proc/net/tcp line, as an independent reference for the byte parser. */
function reference(text: string) {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const [lh, lp] = f[1]!.split(':');
      const [rh, rp] = f[2]!.split(':');
      const [tx, rx] = f[4]!.split(':');
      const [tr, when] = f[5]!.split(':');
      const state = stateFromLinuxCode(Number.parseInt(f[3]!, 16));
      const rport = Number.parseInt(rp!, 16);
      const ticks =
        when!.length > 8 ? Number(BigInt.asIntN(64, BigInt(`0x${when}`))) : Number.parseInt(when!, 16) | 0;
      return {
        state,
        local: `${decodeProcAddress(lh!)}:${Number.parseInt(lp!, 16)}`,
        remote: state === 'LISTEN' && rport === 0 ? '*' : `${decodeProcAddress(rh!)}:${rport}`,
        sendQ: Number.parseInt(tx!, 16),
        recvQ: Number.parseInt(rx!, 16),
        timer: Number.parseInt(tr!, 16) === 0 ? undefined : ticks * 10,
        retransmits: Number.parseInt(f[6]!, 16),
        uid: Number(f[7]),
        inode: Number(f[9]),
      };
    });
}

describe('/proc/net/tcp byte parser', () => {
  for (const [name, family] of [
    ['linux-proc-net-tcp-1.txt', 'inet'],
    ['linux-proc-net-tcp6-1.txt', 'inet6'],
  ] as const) {
    it(`reads ${name} exactly as the split-based reference does`, () => {
      const text = fixture(name);
      const warnings: Warning[] = [];
      const got = parseProcNetTcp(text, family, warnings).map((s) => ({
        state: s.state,
        local: `${s.local.address}:${s.local.port}`,
        remote: s.remote.port === undefined ? s.remote.address : `${s.remote.address}:${s.remote.port}`,
        sendQ: s.sendQ,
        recvQ: s.recvQ,
        timer: s.timer?.expiresMs,
        retransmits: s.retransmits,
        uid: s.uid,
        inode: s.inode,
      }));
      expect(warnings).toEqual([]);
      expect(got).toEqual(reference(text));
      expect(got.length).toBe(
        text
          .split('\n')
          .slice(1)
          .filter((l) => l.trim()).length,
      );
    });
  }

  const header =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

  it('reads timers, queues, probes and the socket address', () => {
    const text =
      header +
      '   0: 0100007F:1F90 0100007F:C350 01 0000002A:00000007 02:00000A6F 00000003  1000        2 4242 1 ffff8c7a0dee0000 20 4 0 10 -1\n' +
      '   1: 0100007F:1F90 0100007F:C351 06 00000000:00000000 03:FFFFFFFFFFFFFF9C 00000000     0        0 0 3 0000000000000000\n';
    const [est, tw] = parseProcNetTcp(text, 'inet');
    expect(est).toMatchObject({
      state: 'ESTABLISHED',
      local: { address: '127.0.0.1', port: 8080 },
      remote: { address: '127.0.0.1', port: 50000 },
      sendQ: 42,
      recvQ: 7,
      retransmits: 3,
      uid: 1000,
      inode: 4242,
      timer: { kind: 'keepalive', expiresMs: 0xa6f * 10, retransmits: 3 },
      extra: { probes: 2 },
      cookie: 'ffff8c7a0dee0000',
    });
    // An overdue timer from an older kernel: -100 ticks = -1 s. A hidden (%pK) address is no cookie.
    expect(tw?.timer).toEqual({ kind: 'timewait', expiresMs: -1000, retransmits: 0 });
    expect(tw?.cookie).toBeUndefined();
  });

  it('turns broken lines into numbered warnings and keeps the good ones', () => {
    const good =
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1\n';
    const text = `${header}${good}   1: 0100007F:1F90 garbage\n\n${good.replace('0A', 'ZZ')}${good}`;
    const warnings: Warning[] = [];
    const sockets = parseProcNetTcp(text, 'inet', warnings, 10);
    expect(sockets.map((s) => s.state)).toEqual(['LISTEN', 'LISTEN']);
    expect(sockets[0]?.remote).toEqual({ address: '*', port: undefined });
    expect(warnings.map((w) => w.line)).toEqual([13, 15]);
    expect(warnings[0]?.text).toBe('1: 0100007F:1F90 garbage');
  });

  it('reads a multi-megabyte file chunk by chunk exactly as in one piece', () => {
    const body = fixture('linux-proc-net-tcp6-1.txt').split('\n');
    const rows = body.slice(1).filter(Boolean);
    // ~3 MB: lines cross every 1 MiB chunk boundary somewhere; one broken line in the middle.
    const lines = [body[0]!];
    for (let i = 0; lines.length < 20_000; i++) lines.push(rows[i % rows.length]!);
    lines[12_345] = '   9: 0000 broken';
    const text = `${lines.join('\n')}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-'));
    try {
      const path = join(dir, 'tcp6');
      writeFileSync(path, text);
      const w1: Warning[] = [];
      const w2: Warning[] = [];
      const [piped, absent] = readProcNetTcpFiles([
        { path, family: 'inet6', warnings: w1 },
        { path: join(dir, 'absent'), family: 'inet6', warnings: [] },
      ]);
      const whole = parseProcNetTcpBytes(Buffer.from(text), 'inet6', w2);
      expect(piped?.length).toBe(19_998);
      expect(piped).toEqual(whole);
      expect(w1).toEqual(w2);
      expect(w1.map((w) => w.line)).toEqual([12_346]);
      expect(absent).toBeUndefined();
      // A file that opens but cannot be read (a directory: EISDIR on read) is an error naming it.
      expect(() => readProcNetTcpFiles([{ path: dir, family: 'inet', warnings: [] }])).toThrow(
        new RegExp(`^${dir}: .*EISDIR`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the same sockets however the bytes are cut into chunks', () => {
    const text = fixture('linux-proc-net-tcp6-1.txt');
    const bytes = Buffer.from(text);
    const whole = parseProcNetTcpBytes(bytes, 'inet6');
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 8 }), (cuts) => {
        const parser = new ProcNetTcpParser('inet6');
        let carry = Buffer.alloc(0);
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...points, bytes.length]) {
          const data = Buffer.concat([carry, bytes.subarray(from, to)]);
          const used = parser.feed(data, 0, data.length, to === bytes.length);
          carry = Buffer.from(data.subarray(used));
          from = to;
        }
        expect(parser.sockets).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws and never loses a good line among mutated ones (fuzz)', () => {
    const lines = fixture('linux-proc-net-tcp-1.txt').split('\n').slice(1).filter(Boolean);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...lines).map((l) => ({ l, good: true })),
            fc
              .tuple(fc.constantFrom(...lines), fc.nat(), fc.string({ maxLength: 5 }))
              .map(([l, at, junk]) => ({ l: l.slice(0, at % l.length) + junk, good: false })),
          ),
          { maxLength: 30 },
        ),
        (rows) => {
          const warnings: Warning[] = [];
          const text = `${header}${rows.map((r) => r.l).join('\n')}\n`;
          const sockets = parseProcNetTcp(text, 'inet', warnings);
          const goodCount = rows.filter((r) => r.good).length;
          expect(sockets.length).toBeGreaterThanOrEqual(goodCount);
          expect(sockets.length + warnings.length).toBeLessThanOrEqual(rows.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('kernel context parsers', () => {
  it('pairs snmp/netstat header and value lines', () => {
    const text =
      'Tcp: RtoAlgorithm ActiveOpens MaxConn\nTcp: 1 40 -1\n' +
      'TcpExt: SyncookiesSent ListenOverflows\nTcpExt: 0 12\nIcmpMsg: InType3\nIcmpMsg: 1\n';
    expect(parseSnmpPairs(text)).toEqual({
      'Tcp.RtoAlgorithm': 1,
      'Tcp.ActiveOpens': 40,
      'Tcp.MaxConn': -1,
      'TcpExt.SyncookiesSent': 0,
      'TcpExt.ListenOverflows': 12,
      'IcmpMsg.InType3': 1,
    });
  });

  it('reads sockstat by key, keeping fields newer kernels add', () => {
    expect(
      parseSockstat('sockets: used 3\nTCP: inuse 2650 orphan 0 tw 473 alloc 2739 mem 14538 pressure 0\n'),
    ).toEqual({
      'sockets.used': 3,
      'TCP.inuse': 2650,
      'TCP.orphan': 0,
      'TCP.tw': 473,
      'TCP.alloc': 2739,
      'TCP.mem': 14538,
      'TCP.pressure': 0,
    });
  });

  it('joins ss listener backlogs on the inode', () => {
    const map = parseSsListeners(
      'LISTEN 0      128    0.0.0.0:2024 0.0.0.0:* ino:46 sk:1 cgroup:/ <->\n' +
        'LISTEN 3      4096   [::]:80 [::]:* uid:33 ino:900 sk:2 <->\n',
    );
    expect([...map]).toEqual([
      [46, 128],
      [900, 4096],
    ]);
    const listener = {
      protocol: 'tcp' as const,
      family: 'inet' as const,
      state: 'LISTEN' as const,
      local: { address: '*', port: 80 },
      remote: { address: '*', port: undefined },
      sendQ: 0,
      inode: 900,
    };
    const unknown = { ...listener, inode: 901 };
    attachBacklogs([listener, unknown], map);
    expect(listener).toMatchObject({ backlog: 4096, sendQ: 4096 });
    expect(unknown.sendQ).toBeUndefined();
  });
});

describe('process attribution', () => {
  it('finds this test process as the owner of its own listening socket', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const sockets = parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8'), 'inet');
      const mine = sockets.find((s) => s.state === 'LISTEN' && s.local.port === port);
      expect(mine?.inode).toBeGreaterThan(0);
      const owners = readSocketOwners('/proc', new Set([mine!.inode!]));
      const note = attachProcesses(sockets, owners);
      expect(mine?.processes?.map((p) => p.pid)).toEqual([process.pid]);
      expect(mine?.processes?.[0]?.fd).toBeGreaterThan(2);
      if (owners.denied.length === 0) expect(note).toBeUndefined();
      for (const s of sockets) if (s.inode === 0) expect(s.processes).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('says what is missing when some processes could not be read, and leaves their sockets unknown', () => {
    const base = {
      protocol: 'tcp' as const,
      family: 'inet' as const,
      state: 'ESTABLISHED' as const,
      local: { address: '10.0.0.1', port: 1 },
      remote: { address: '10.0.0.2', port: 2 },
    };
    const owned: Socket = { ...base, inode: 5 };
    const hidden: Socket = { ...base, inode: 6 };
    const tw: Socket = { ...base, state: 'TIME_WAIT', inode: 0 };
    const note = attachProcesses([owned, hidden, tw], {
      byInode: new Map([[5, [{ pid: 10, command: 'nginx', fd: 3 }]]]),
      processes: 40,
      denied: [1, 2],
    });
    expect(owned.processes).toEqual([{ pid: 10, command: 'nginx', fd: 3 }]);
    expect('processes' in hidden).toBe(false);
    expect(tw).toMatchObject({ processes: [] });
    expect(note).toMatch(/^2 of 42 processes could not be inspected.*; the owner of 1 socket is unknown$/);
    const three = [6, 7, 8].map((inode): Socket => ({ ...base, inode }));
    const plural = attachProcesses(three, { byInode: new Map(), processes: 40, denied: [1, 2] });
    expect(plural).toMatch(/; the owners of 3 sockets are unknown$/);
  });
});
