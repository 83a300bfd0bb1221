/** The reader choice: netlink where the addon loads, /proc otherwise or when asked; named in JSON and the header. */
import { describe, expect, it } from 'vitest';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { runCli } from '../helpers/cli.ts';

const built = netlinkUnavailableReason() === undefined;

describe('--reader', () => {
  it('--reader proc reads /proc and says so', () => {
    const r = runCli(['--reader', 'proc', '--json', '--no-findings']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).source.kind).toBe('proc');
    expect(runCli(['--reader', 'proc', '--no-findings']).stdout).toMatch(/^tcpstate · live \/proc/);
  });

  it('without the addon, auto falls back to /proc (quietly when stderr is not a terminal); forcing netlink is an error', () => {
    const env = { TCPSTATE_ADDON: 'none' };
    const auto = runCli(['--json', '--no-findings'], { env });
    expect(auto.status).toBe(0);
    expect(auto.stderr).toBe('');
    expect(JSON.parse(auto.stdout).source.kind).toBe('proc');
    const forced = runCli(['--reader', 'netlink'], { env });
    expect(forced.status).toBe(2);
    expect(forced.stderr.trim()).toBe(
      'tcpstate: --reader netlink: the netlink reader is unavailable: disabled by TCPSTATE_ADDON=none',
    );
    const info = runCli(['-i'], { env });
    expect(info.status).toBe(2);
    expect(info.stderr).toMatch(/-i: the netlink reader is unavailable/);
    expect(runCli(['-i', '--reader', 'proc']).stderr).toMatch(/-i \(tcp_info\) needs the netlink reader/);
  });

  it.skipIf(!built)(
    'auto uses netlink where the addon loads; -s goes to the kernel; -i adds tcp_info',
    () => {
      const r = runCli(['--json', '--no-findings']);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).source).toMatchObject({ kind: 'netlink', name: 'netlink' });
      expect(runCli(['--no-findings']).stdout).toMatch(/^tcpstate · live via netlink/);
      const listen = JSON.parse(runCli(['-s', 'listen', '-i', '--json', '--no-findings']).stdout);
      expect(listen.sockets.length).toBeGreaterThan(0);
      for (const s of listen.sockets) {
        expect(s.state).toBe('LISTEN');
        expect(s.backlog).toBe(s.sendQ);
        expect(s.tcpInfo.cwnd).toBeGreaterThan(0);
        expect(s.memory.rcvbuf).toBeGreaterThan(0);
      }
    },
  );
});
