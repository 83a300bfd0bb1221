/** The close-wait rule with tcp_info (netlink reader): an idle-time estimate from one look, instead of none. */
import { describe, expect, it } from 'vitest';
import type { Snapshot, Socket, TcpInfo } from '../../src/model/snapshot.ts';
import { diagnose } from '../helpers/diagnose.ts';

function info(lastRecvMs: number): TcpInfo {
  return {
    rttMs: 0.05,
    rttVarMs: 0.02,
    rtoMs: 204,
    cwnd: 10,
    sndMss: 32768,
    rcvMss: 536,
    pmtu: 65535,
    retransmits: 0,
    totalRetrans: 0,
    unacked: 0,
    lost: 0,
    lastDataSentMs: lastRecvMs + 5,
    lastDataRecvMs: lastRecvMs + 1000,
    lastAckRecvMs: lastRecvMs,
  };
}

function closeWait(n: number, idleMs: number | undefined): Snapshot {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) {
    sockets.push({
      protocol: 'tcp',
      family: 'inet',
      state: 'CLOSE_WAIT',
      local: { address: '10.0.0.1', port: 8080 },
      remote: { address: '10.0.0.2', port: 40000 + i },
      recvQ: 0,
      sendQ: 0,
      ...(idleMs === undefined ? {} : { tcpInfo: info(idleMs - i * 1000) }),
    });
  }
  return { source: { kind: 'netlink', name: 'netlink', os: 'linux' }, takenAt: 0, sockets, warnings: [] };
}

describe('close-wait-leak with tcp_info', () => {
  it('one look with tcp_info: the oldest idle time, marked as an estimate, and critical past the age threshold', () => {
    const [f] = diagnose(closeWait(12, 3 * 3600_000 + 120_000)).filter((x) => x.rule === 'close-wait-leak');
    expect(f?.title).toContain('(the oldest idle ≥ 3h 2m, an estimate from tcp_info)');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.metrics?.idle_max_s_estimate).toBe(3 * 3600 + 120);
    expect(f?.missing ?? []).not.toContainEqual(expect.stringMatching(/socket ages/));
  });

  it('recently active sockets stay a warning', () => {
    const [f] = diagnose(closeWait(12, 20_000)).filter((x) => x.rule === 'close-wait-leak');
    expect(f?.severity).toBe('warning');
    expect(f?.title).toContain('idle ≥ 20s');
  });

  it('without tcp_info, as before: age unknown from one look', () => {
    const [f] = diagnose(closeWait(12, undefined)).filter((x) => x.rule === 'close-wait-leak');
    expect(f?.title).toContain('age unknown from one look');
    expect(f?.missing).toContainEqual(expect.stringMatching(/socket ages/));
  });
});
