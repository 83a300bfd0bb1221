import { describe, expect, it } from 'vitest';
import { groupBy } from '../../src/analysis/groups.ts';
import { sortSockets } from '../../src/analysis/sort.ts';
import type { Socket } from '../../src/model/snapshot.ts';
import type { TcpState } from '../../src/states/states.ts';

function sock(
  state: TcpState,
  lport: number,
  remote: string,
  rport: number | undefined,
  pid?: number,
): Socket {
  const s: Socket = {
    protocol: 'tcp',
    family: 'inet',
    state,
    local: { address: '10.0.0.1', port: lport },
    remote: { address: remote, port: rport },
  };
  if (pid !== undefined) s.processes = pid === 0 ? [] : [{ pid, command: `app${pid}` }];
  return s;
}

describe('groups', () => {
  const sockets = [
    sock('LISTEN', 8080, '*', undefined, 1),
    sock('ESTABLISHED', 8080, '10.0.0.2', 50000, 1),
    sock('CLOSE_WAIT', 8080, '10.0.0.3', 50001, 1),
    sock('CLOSE_WAIT', 8080, '10.0.0.3', 50002, 1),
    sock('TIME_WAIT', 40000, '10.9.9.9', 443, 0),
    sock('TIME_WAIT', 40001, '10.9.9.9', 443, 0),
    sock('ESTABLISHED', 40002, '10.9.9.9', 5432, 2),
  ];

  it('puts inbound sockets under the listening port and outbound under the remote port', () => {
    const g = groupBy(sockets, 'service');
    expect(g.map((x) => [x.direction, x.key, x.total])).toEqual([
      ['in', '8080', 4],
      ['out', '443', 2],
      ['out', '5432', 1],
    ]);
    expect(g[0]!.byState.CLOSE_WAIT).toBe(2);
  });

  it('groups by peer without listeners, and by process with owner-less sockets', () => {
    expect(groupBy(sockets, 'peer').map((x) => [x.key, x.total])).toEqual([
      ['10.9.9.9', 3],
      ['10.0.0.3', 2],
      ['10.0.0.2', 1],
    ]);
    expect(groupBy(sockets, 'process').map((x) => [x.key, x.total])).toEqual([
      ['app1 (1)', 4],
      ['(no owner)', 2],
      ['app2 (2)', 1],
    ]);
    expect(groupBy(sockets, 'destination')[0]).toMatchObject({ key: '10.9.9.9:443', total: 2 });
  });

  it('sorts by state in RFC order and by queues largest first, stably', () => {
    const sorted = sortSockets(sockets, 'state').map((s) => s.state);
    expect(sorted).toEqual([
      'LISTEN',
      'ESTABLISHED',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'CLOSE_WAIT',
      'TIME_WAIT',
      'TIME_WAIT',
    ]);
    const q = [
      { ...sockets[1]!, recvQ: 5 },
      { ...sockets[2]!, recvQ: 50 },
    ];
    expect(sortSockets(q, 'recv-q').map((s) => s.recvQ)).toEqual([50, 5]);
  });
});
