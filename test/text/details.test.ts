import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { isTcpstateError } from '../../src/errors.ts';
import { decodeInput } from '../../src/sources/text/decode.ts';
import { splitEndpoint } from '../../src/sources/text/endpoint.ts';
import { parseText, parseTextBytes } from '../../src/sources/text/index.ts';
import { parseSsDuration, parseUsers } from '../../src/sources/text/parsers/ss.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/netstat', name));
const parseFixture = (name: string) => parseTextBytes(fixture(name), { name });
const atLine = (name: string, line: number) => parseFixture(name).sockets.find((s) => s.line === line);

describe('splitEndpoint', () => {
  it.each([
    ['10.0.0.1:443', 'colon', '10.0.0.1', 443, undefined],
    ['[::1]:631', 'colon', '::1', 631, undefined],
    [':::22', 'colon', '::', 22, undefined],
    ['::ffff:127.0.0.1:7403', 'colon', '::ffff:127.0.0.1', 7403, undefined],
    ['127.0.0.53%lo:53', 'colon', '127.0.0.53', 53, 'lo'],
    ['[fe80::1%9]:546', 'colon', 'fe80::1', 546, '9'],
    ['192.168.0.60.22', 'dot', '192.168.0.60', 22, undefined],
    ['fe80::1%lo0.1024', 'dot', 'fe80::1', 1024, 'lo0'],
    ['::1.3000', 'dot', '::1', 3000, undefined],
  ] as const)('%s (%s)', (text, style, address, port, scope) => {
    const e = splitEndpoint(text, style);
    expect(e.address).toBe(address);
    expect(e.port).toBe(port);
    expect(e.scope).toBe(scope);
    expect(e.truncated).toBeUndefined();
  });
  it('wildcards and service names', () => {
    expect(splitEndpoint('*.*', 'dot')).toEqual({ address: '*', port: undefined });
    expect(splitEndpoint('*:*', 'colon')).toEqual({ address: '*', port: undefined });
    expect(splitEndpoint('*:ssh', 'colon')).toMatchObject({ address: '*', port: 22, service: 'ssh' });
  });
  it('keeps cut addresses as printed and flags them', () => {
    expect(splitEndpoint('fe80::c4c8:5ff:f.62503', 'dot', { width: 22 })).toMatchObject({
      address: 'fe80::c4c8:5ff:f',
      truncated: true,
    });
    expect(splitEndpoint('localhost.localdo:35450', 'colon', { width: 23 })).toMatchObject({
      address: 'localhost.localdo',
      port: 35450,
      truncated: true,
    });
    expect(splitEndpoint('[fe80::1', 'colon').truncated).toBe(true);
  });
});

describe('ss details', () => {
  it('timers: old `9.068ms` means seconds, `076ms` milliseconds, minutes', () => {
    expect(parseSsDuration('9.068ms')).toBe(9068);
    expect(parseSsDuration('9.068sec')).toBe(9068);
    expect(parseSsDuration('076ms')).toBe(76);
    expect(parseSsDuration('29sec')).toBe(29000);
    expect(parseSsDuration('1min55sec')).toBe(115000);
    expect(parseSsDuration('118min')).toBe(7080000);
  });
  it('users: new and old forms', () => {
    expect(parseUsers('"nginx",pid=31876,fd=7),("nginx",pid=31875,fd=7')).toEqual([
      { command: 'nginx', pid: 31876, fd: 7 },
      { command: 'nginx', pid: 31875, fd: 7 },
    ]);
    expect(parseUsers('"sshd",1231,3')).toEqual([{ command: 'sshd', pid: 1231, fd: 3 }]);
  });
  it('reads the old-iproute2 timewait timer as 9.068 s on the real row', () => {
    expect(atLine('linux-ss-tanop-nginx-timers-2.txt', 31)?.timer).toEqual({
      kind: 'timewait',
      expiresMs: 9068,
      retransmits: 0,
    });
  });
  it('-e and -p: uid, inode, cookie, processes; -i continuation lines land in extra', () => {
    const s = atLine('linux-ss-tulpen-1.txt', 49)!;
    expect(s).toMatchObject({ state: 'LISTEN', inode: 58511, cookie: '30', backlog: 128 });
    expect(s.processes).toEqual([{ command: 'sshd', pid: 1998, fd: 3 }]);
    const i = parseFixture('linux-ss-tin-state-all-2.txt').sockets[0]!;
    expect(i.extra).toMatchObject({ cwnd: 10, mss: 1448 });
  });
});

describe('net-tools netstat details', () => {
  it('timers, user/inode and programs with spaces', () => {
    expect(atLine('linux-netstat-aon-timers-1.txt', 7)).toMatchObject({
      state: 'SYN_SENT',
      timer: { kind: 'on', expiresMs: 350, retransmits: 0 },
    });
    const s = parseFixture('linux-netstat-neopa-1.txt').sockets.find((x) => x.local.port === 53644)!;
    expect(s).toMatchObject({ uid: 995, inode: 1154674 });
    expect(s.processes?.[0]).toMatchObject({ pid: 12387, command: 'Passenger Rac' });
  });
  it('truncated host names are flagged, not misread', () => {
    const s = atLine('linux-netstat-plain-1.txt', 3)!;
    expect(s.local).toMatchObject({ address: 'localhost.localdo', port: 35450, truncated: true });
  });
  it('localized states, including Czech with a space', () => {
    const text =
      'Proto Recv-Q Send-Q Local Address           Foreign Address         State\n' +
      'tcp        0      0 10.0.0.1:22             10.0.0.2:5000           POSLEDNÍ ACK\n' +
      'tcp        0      0 10.0.0.1:22             10.0.0.2:5001           VERBUNDEN\n';
    expect(parseText(text).sockets.map((s) => s.state)).toEqual(['LAST_ACK', 'ESTABLISHED']);
  });
});

describe('macOS, BSD, Windows details', () => {
  it('Tahoe `process:pid` with spaces in the name', () => {
    const s = atLine('macos-netstat-anvp-tcp-26-1.txt', 8)!;
    expect(s.processes).toEqual([{ command: 'Google Chrome H', pid: 777 }]);
    expect(s.extra).toMatchObject({ rhiwat: 131072 });
  });
  it('a macOS IPv6 address cut at the column edge is kept and flagged', () => {
    expect(atLine('macos-netstat-anvp-tcp-26-1.txt', 7)?.local).toMatchObject({
      address: 'fe80::c4c8:5ff:f',
      port: 62503,
      truncated: true,
    });
    expect(atLine('macos-netstat-anvp-tcp-26-1.txt', 6)?.local.truncated).toBeUndefined();
  });
  it('Windows -b continuation lines name the executable', () => {
    const s = parseFixture('windows-netstat-aonb-1.txt').sockets[0]!;
    expect(s.processes).toEqual([{ pid: 1712, command: 'svchost.exe' }]);
    expect(s.extra).toMatchObject({ service: 'RpcSs' });
  });
  it('German CP850 bytes decode to ABHÖREN and read as LISTEN', () => {
    const text =
      '\r\nAktive Verbindungen\r\n\r\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\r\n  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN         1072\r\n';
    const bytes = iconv.encode(text, 'cp850');
    expect(decodeInput(bytes, 'x').encoding).toBe('cp850');
    const s = parseTextBytes(bytes).sockets[0]!;
    expect(s).toMatchObject({ state: 'LISTEN', rawState: 'ABHÖREN', remote: { address: '*' } });
  });
  it('UTF-16 with a BOM and GBK Chinese headers', () => {
    const zh = fixture('windows-netstat-ano-zh-1.txt').toString('utf8');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(zh, 'utf16le')]);
    expect(parseTextBytes(utf16).sockets.length).toBe(7);
    const gbk = iconv.encode(zh, 'gbk');
    expect(decodeInput(gbk, 'x').encoding).toBe('gbk');
    expect(parseTextBytes(gbk).sockets.length).toBe(7);
  });
});

describe('pastes', () => {
  it('shell prompts and repeated headers are ignored; rows are all read', () => {
    const rows = fixture('linux-ss-tanop-nginx-timers-2.txt')
      .toString('utf8')
      .split('\n')
      .slice(1, 6)
      .join('\n');
    const header = 'State      Recv-Q Send-Q Local Address:Port   Peer Address:Port';
    const text = `user@web1:~$ ss -tanop\n${header}\n${rows}\nuser@web1:~$ ss -tanop | head\n${header}\n${rows}\nuser@web1:~$\n`;
    const s = parseText(text);
    expect(s.warnings).toEqual([]);
    expect(s.sockets.length).toBe(10);
    const win = `C:\\Users\\admin>netstat -ano\r\n${fixture('windows-netstat-ano-zh-1.txt').toString('utf8')}\r\nC:\\Users\\admin>\r\n`;
    const w = parseText(win);
    expect(w.warnings).toEqual([]);
    expect(w.sockets.length).toBe(7);
  });
});

describe('bad input', () => {
  const error = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  it('empty, binary and unknown inputs are one-line typed errors', () => {
    for (const bytes of [
      Buffer.alloc(0),
      Buffer.from('\n\n  \n'),
      Buffer.from([0, 1, 2, 3, 0, 0, 5, 6, 7, 0, 0xff, 0]),
    ]) {
      const e = error(() => parseTextBytes(bytes, { name: 'in' }));
      expect(isTcpstateError(e)).toBe(true);
      expect((e as Error).message).not.toContain('\n');
    }
    expect((error(() => parseText('hello world\n', { name: 'in' })) as Error).message).toMatch(
      /^in: not a listing/,
    );
  });
  it('a text detected as a listing but with no row read is an error naming where', () => {
    // The fixtures' provenance page names ss's columns in its prose: detected as ss, yet not one line is a socket.
    const page = readFileSync(new URL('../fixtures/netstat/PROVENANCE.md', import.meta.url));
    const e = error(() => parseTextBytes(page, { name: 'PROVENANCE.md' }));
    expect(isTcpstateError(e)).toBe(true);
    expect((e as Error).message).toMatch(
      /^PROVENANCE\.md:\d+: read as linux-ss output, but none of its \d+ lines is a socket row \(this is the first that is not\)/,
    );
    // A header with no rows is a real listing of an idle host: zero sockets, no error.
    expect(parseText('State Recv-Q Send-Q Local Address:Port Peer Address:Port\n').sockets).toEqual([]);
  });
  it('an unreadable line is a warning with its line number and text; the rest is read', () => {
    const s = parseText(
      'State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5\nESTAB zero\n',
    );
    expect(s.sockets.length).toBe(1);
    expect(s.warnings).toEqual([{ line: 3, message: 'not an ss row', text: 'ESTAB zero' }]);
  });
});

describe('summaries keep their totals', () => {
  // Values read by eye from the fixtures (ss -s lines 1-10, netstat -s Tcp: and TcpExt: sections).
  it('ss -s goes into kernel.sockstat with /proc/net/sockstat spellings', () => {
    const s = parseFixture('linux-ss-s-1.txt');
    expect(s.sockets).toHaveLength(0);
    expect(s.kernel?.sockstat).toMatchObject({
      'Total.sockets': 131,
      'TCP.total': 14,
      'TCP.estab': 1,
      'TCP.orphan': 10,
      'TCP.tw': 0,
      'TCP.ipv4': 13,
      'TCP.ipv6': 1,
      'RAW.ipv6': 1,
      'INET.total': 16,
    });
    expect(s.warnings[0]?.message).toContain('kernel.sockstat');
  });

  it('netstat -s goes into kernel.counters named as in /proc/net/snmp and /proc/net/netstat', () => {
    const s = parseFixture('linux-netstat-s-1.txt');
    expect(s.kernel?.counters).toMatchObject({
      'Tcp.ActiveOpens': 1648,
      'Tcp.PassiveOpens': 1525,
      'Tcp.AttemptFails': 105,
      'Tcp.EstabResets': 69,
      'Tcp.CurrEstab': 139,
      'Tcp.RetransSegs': 428,
      'Tcp.OutRsts': 212,
      'TcpExt.TCPAbortOnData': 72,
      'TcpExt.TCPAbortOnTimeout': 53,
      'TcpExt.TCPLossProbes': 12,
    });
    // Udp and Icmp counters are not TCP's: not kept.
    expect(Object.keys(s.kernel?.counters ?? {}).every((k) => k.startsWith('Tcp'))).toBe(true);
  });
});

describe('macOS -v hex columns', () => {
  it('keeps state/options/gencnt/flags as printed (hex), counters as numbers', () => {
    // Line 4: `Python:27328  00000 00000006 0000000001803264 00000000 00000800      1      0 000000`
    expect(atLine('macos-netstat-anvp-tcp-26-1.txt', 4)?.extra).toMatchObject({
      rxbytes: 0,
      rhiwat: 131072,
      soState: '00000',
      options: '00000006',
      gencnt: '0000000001803264',
      flags1: '00000800',
      usecnt: 1,
      fltrs: '000000',
    });
    // Mojave prints them with 0x.
    expect(atLine('macos-netstat-vnptcp-mojave-4.txt', 3)?.extra).toMatchObject({ soState: '0x0102' });
  });
});

describe('truncation is flagged where the producer cut, and only there', () => {
  it('macOS -A 18-wide column: a full IPv4 with its port at the edge may have lost port digits', () => {
    // `192.168.1.221.5486` is 18 characters: the real port was 5486x.
    expect(atLine('macos-netstat-An-1.txt', 3)?.local).toMatchObject({
      address: '192.168.1.221',
      truncated: true,
    });
    expect(atLine('macos-netstat-An-1.txt', 3)?.remote.truncated).toBeUndefined(); // 140.82.113.26.443
  });

  it('BSD cuts host names at 16 characters even when the column is not full', () => {
    // `194.123.235.35.b.dsf`: 20 characters in a 22-wide column, but the host is the 16-character cut.
    expect(atLine('macos-netstat-plain-1.txt', 19)?.remote).toMatchObject({
      address: '194.123.235.35.b',
      truncated: true,
    });
  });

  it('a token wider than the net-tools column was printed whole', () => {
    // `::ffff:192.168.1.12:59103` is 25 characters, past the 23-wide column: not cut.
    const s = atLine('linux-netstat-aon-timers-2-headerless.txt', 21);
    expect(s?.local).toEqual({ address: '::ffff:192.168.1.12', port: 59103 });
    expect(s?.remote.truncated).toBeUndefined();
    // `localhost.localdo:35450` is exactly 23: cut.
    expect(atLine('linux-netstat-plain-1.txt', 3)?.local.truncated).toBe(true);
  });
});

describe('ss without a State column (ss state X)', () => {
  const header = 'Recv-Q Send-Q Local Address:Port Peer Address:Port\n';
  const rows = '0      0      10.0.0.1:22  10.0.0.2:5000\n0      0      10.0.0.1:22  10.0.0.2:5001\n';
  it('takes the state from a pasted `ss ... state X` command', () => {
    const s = parseText(`$ ss -tn state time-wait\n${header}${rows}`);
    expect(s.source.format).toBe('linux-ss');
    expect(s.sockets.map((k) => k.state)).toEqual(['TIME_WAIT', 'TIME_WAIT']);
    expect(s.warnings[0]?.message).toContain('line 1');
  });
  it('without the command: ESTABLISHED, or TIME_WAIT where the timer is timewait; warned', () => {
    const s = parseText(`${header}0 0 10.0.0.1:22 10.0.0.2:5000 timer:(timewait,43sec,0)\n${rows}`);
    expect(s.sockets.map((k) => k.state)).toEqual(['TIME_WAIT', 'ESTABLISHED', 'ESTABLISHED']);
    expect(s.warnings).toHaveLength(1);
  });
  it('a group filter (several states) leaves the default', () => {
    const s = parseText(`$ ss -tn state connected\n${header}${rows}`);
    expect(s.sockets.map((k) => k.state)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });
});

describe('Windows without -n', () => {
  it("a listener's peer printed as the host's own name with port 0 is no peer", () => {
    // Line 5: `TCP    0.0.0.0:135            LAPTOP-6LNI85PH:0      LISTENING       1244`
    expect(atLine('windows-netstat-abo-fr-2.txt', 5)).toMatchObject({
      state: 'LISTEN',
      remote: { address: '*' },
      processes: [{ pid: 1244, command: 'svchost.exe' }],
    });
  });
});
