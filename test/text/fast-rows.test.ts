import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { parseFastRows } from '../../src/sources/text/fast-rows.ts';
import { decodeInput, parseText, parseTextBytes } from '../../src/sources/text/index.ts';

/**
 * The byte-level reader of plain `ss -tan` / `netstat -tan` rows must give exactly what the general parsers give,
 * or give up. The general path here is parseText on the decoded text, which never takes the fast path.
 */
const dir = join(import.meta.dirname, '../fixtures/netstat');

function general(bytes: Buffer): Omit<Snapshot, 'takenAt'> | string {
  try {
    const { takenAt: _, ...rest } = parseText(decodeInput(bytes, 'in').text, { name: 'in', takenAt: 0 });
    return rest;
  } catch (error) {
    return (error as Error).message;
  }
}

function viaBytes(bytes: Buffer): Omit<Snapshot, 'takenAt'> | string {
  try {
    const { takenAt: _, ...rest } = parseTextBytes(bytes, { name: 'in', takenAt: 0 });
    return rest;
  } catch (error) {
    return (error as Error).message;
  }
}

const SS_HEADER = 'State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n';
const SS_NETID_HEADER = 'Netid State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n';
const NETSTAT_HEADER =
  'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State      \n';

const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.constantFrom('00', '01', '256', '999'),
);
const port = fc.oneof(
  fc.integer({ min: 0, max: 65535 }).map(String),
  fc.constantFrom('*', '0', '080', '65536', '123456', 'https', 'ssh', ''),
);
const address = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '0.0.0.0',
      '*',
      '[::]',
      '[::1]',
      '::',
      '::1',
      '[::ffff:127.0.0.1]',
      '::ffff:10.0.0.1',
      'fe80::1%lo',
      '[fe80::c4c8:5ff:fe4c:9f1a%eth0]',
      'localhost.localdo',
      'fe80::c4c8:5ff:f',
    ),
  },
);
const endpoint = fc.tuple(address, port).map(([a, p]) => `${a}:${p}`);
const ssState = fc.constantFrom(
  'ESTAB',
  'LISTEN',
  'TIME-WAIT',
  'CLOSE-WAIT',
  'FIN-WAIT-2',
  'SYN-SENT',
  'LAST-ACK',
  'BOGUS',
);
const netstatState = fc.constantFrom(
  'ESTABLISHED',
  'LISTEN',
  'TIME_WAIT',
  'CLOSE_WAIT',
  'FIN_WAIT2',
  'SYN_RECV',
  'NONSENSE',
);
const queue = fc.oneof(
  fc.nat({ max: 1 << 20 }).map(String),
  fc.constantFrom('-1', 'x', '0000000000000000000'),
);
const pad = fc.constantFrom(' ', '  ', '      ', '\t');
const oddLine = fc.constantFrom(
  '',
  '   ',
  '\t cubic wscale:7,7 rto:204 rtt:0.1/0.05',
  'udp   UNCONN     0      0          0.0.0.0:68         0.0.0.0:*',
  'u_str ESTAB      0      0          * 1234             * 1235',
  'raw   UNCONN     0      0          *:ipv6-icmp        *:*',
  'nl    UNCONN     0      0          rtnl:kernel        *',
  'udp        0      0 0.0.0.0:68              0.0.0.0:*',
  'raw6       0      0 :::58                   :::*                    7',
  'Active UNIX domain sockets (servers and established)',
  'unix  2      [ ACC ]     STREAM     LISTENING     12345    /run/x.sock',
  'root@host:~# ss -tan',
  'tcp   ESTAB 0 0 1.2.3.4:5 6.7.8.9:10 users:(("nginx",pid=1,fd=3))',
  'tcp        0      0 1.2.3.4:5               6.7.8.9:10              ESTABLISHED 1000 12345 1/x',
  'ESTAB 0 0 1.2.3.4:5 6.7.8.9:10 timer:(keepalive,10sec,0)',
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode',
  'caf\u00e9',
);

const ssRow = fc
  .tuple(fc.boolean(), ssState, queue, queue, endpoint, endpoint, pad)
  .map(
    ([netid, st, r, s, l, p, sp]) =>
      `${netid ? `tcp${sp}` : ''}${st}${sp}${r}${sp}${s}${sp}${l}${sp}${p}${sp}`,
  );
const netstatRow = fc
  .tuple(fc.constantFrom('tcp', 'tcp6', 'TCP'), queue, queue, endpoint, endpoint, netstatState, pad)
  .map(
    ([proto, r, s, l, p, st, sp]) =>
      `${proto}${sp}${r}${sp}${s}${sp}${l.padEnd(23)}${sp}${p.padEnd(23)}${sp}${st}`,
  );

function input(header: string, rows: string[], crlf: boolean): Buffer {
  const text = header + rows.map((r) => `${r}\n`).join('');
  return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text, 'utf8');
}

describe('fast rows: plain ss and netstat read from bytes', () => {
  it('gives what the general parsers give on every fixture', () => {
    let fast = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
      const bytes = readFileSync(join(dir, file));
      expect(viaBytes(bytes), file).toEqual(general(bytes));
      const format = file.startsWith('linux-ss')
        ? 'linux-ss'
        : file.startsWith('linux-netstat')
          ? 'linux-netstat'
          : undefined;
      if (format && parseFastRows(bytes, format)) fast++;
    }
    // Some real listings are plain enough for it, or the comparison above would prove nothing.
    expect(fast).toBeGreaterThanOrEqual(2);
  });

  it('takes plain rows, and then equals the general parser on any mix of rows (property)', () => {
    const mixed = (row: fc.Arbitrary<string>) =>
      fc.array(fc.oneof({ weight: 8, arbitrary: row }, { weight: 1, arbitrary: oddLine }), {
        minLength: 1,
        maxLength: 25,
      });
    const headers = fc.constantFrom(SS_HEADER, SS_NETID_HEADER, '');
    fc.assert(
      fc.property(headers, mixed(ssRow), fc.boolean(), (header, rows, crlf) => {
        const bytes = input(header, rows, crlf);
        expect(viaBytes(bytes)).toEqual(general(bytes));
      }),
      { numRuns: 600 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(NETSTAT_HEADER, ''),
        mixed(netstatRow),
        fc.boolean(),
        (header, rows, crlf) => {
          const bytes = input(header, rows, crlf);
          expect(viaBytes(bytes)).toEqual(general(bytes));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('reads plain rows itself (so the property above exercises it)', () => {
    const ss = input(
      SS_NETID_HEADER,
      ['tcp ESTAB 0 0 10.0.0.1:443 10.0.0.2:51000', 'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*'],
      false,
    );
    expect(parseFastRows(ss, 'linux-ss')?.sockets).toHaveLength(2);
    const ns = input(
      NETSTAT_HEADER,
      ['tcp        0      0 10.0.0.1:443            10.0.0.2:51000          ESTABLISHED'],
      true,
    );
    expect(parseFastRows(ns, 'linux-netstat')?.sockets).toHaveLength(1);
    expect(parseFastRows(input(SS_HEADER, ['\tcubic rto:204'], false), 'linux-ss')).toBeUndefined();
  });
});
