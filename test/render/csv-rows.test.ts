import { describe, expect, it } from 'vitest';
import type { Socket } from '../../src/model/snapshot.ts';
import { CSV_COLUMNS, csvRows, socketsCsv } from '../../src/render/socket-rows.ts';

const full: Socket = {
  protocol: 'tcp',
  family: 'inet6',
  state: 'ESTABLISHED',
  local: { address: '::1', port: 443 },
  remote: { address: 'fe80::1', port: 50123 },
  recvQ: 0,
  sendQ: 4096,
  timer: { kind: 'on', expiresMs: 200, retransmits: 1 },
  retransmits: 1,
  uid: 1000,
  inode: 123456,
  processes: [{ pid: 42, command: 'say "hi", then\nleave', fd: 3 }],
};

const bare: Socket = {
  protocol: 'tcp',
  family: 'inet',
  state: 'LISTEN',
  local: { address: 'a,b', port: 80 },
  remote: { address: '*', port: undefined },
};

describe('CSV rows', () => {
  it('quote exactly the fields that hold a quote, comma or line break (RFC 4180), and leave absent ones empty', () => {
    expect(csvRows([full, bare], 'ss')).toBe(
      'ESTAB,inet6,::1,443,fe80::1,50123,0,4096,on,200,1,1000,123456,42,"say ""hi"", then\nleave"\n' +
        'LISTEN,inet,"a,b",80,*,,,,,,,,,,\n',
    );
    expect(csvRows([])).toBe('');
    expect(socketsCsv([bare])).toBe(`${CSV_COLUMNS.join(',')}\nLISTEN,inet,"a,b",80,*,,,,,,,,,,\n`);
  });
});
