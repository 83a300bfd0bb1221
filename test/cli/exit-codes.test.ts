import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

// One table of exit codes (README "Exit codes"): commander's own errors are usage errors like ours.
describe('exit codes', () => {
  it('usage errors exit 2, whoever finds them (commander or tcpstate)', () => {
    for (const args of [['--bogus'], ['analyze'], ['analyze', '-', '--sort', 'nope'], ['nosuchcommand']]) {
      const r = runCli(args, { input: 'ESTAB 0 0 1.2.3.4:1 5.6.7.8:2\n' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^tcpstate: /);
    }
  });
  it('help and version exit 0; a missing file 1; --strict 4; check UNKNOWN 3', () => {
    expect(runCli(['--help']).status).toBe(0);
    expect(runCli(['--version']).status).toBe(0);
    expect(runCli(['analyze', '/nonexistent']).status).toBe(1);
    expect(
      runCli(['analyze', '-', '--strict'], {
        input:
          'State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 1.2.3.4:1 5.6.7.8:2\ngarbage line here\n',
      }).status,
    ).toBe(4);
    expect(runCli(['check', '/nonexistent']).status).toBe(3);
    // A monitoring plugin answers a bad command line with UNKNOWN, not CRITICAL.
    expect(runCli(['check', '--bogus']).status).toBe(3);
  });
});
