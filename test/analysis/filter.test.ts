import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressMatcher } from '../../src/analysis/address.ts';
import { applyFilter, parseExpression } from '../../src/analysis/filter.ts';
import { isTcpstateError } from '../../src/errors.ts';
import type { Socket } from '../../src/model/snapshot.ts';
import type { TcpState } from '../../src/states/states.ts';
import { runCli } from '../helpers/cli.ts';

function sock(
  state: TcpState,
  local: string,
  lport: number,
  remote: string,
  rport: number | undefined,
): Socket {
  return {
    protocol: 'tcp',
    family: local.includes(':') ? 'inet6' : 'inet',
    state,
    local: { address: local, port: lport },
    remote: { address: remote, port: rport },
  };
}

const sockets: Socket[] = [
  sock('LISTEN', '0.0.0.0', 22, '*', undefined),
  sock('ESTABLISHED', '10.0.0.1', 22, '10.0.0.9', 50000),
  sock('TIME_WAIT', '10.0.0.1', 40000, '93.184.216.34', 443),
  sock('CLOSE_WAIT', '10.0.0.1', 40001, '10.1.2.3', 5432),
  sock('SYN_SENT', '::1', 40002, '::1', 8080),
  sock('SYN_RECEIVED', '10.0.0.1', 22, '10.0.0.10', 50001),
];
const states = (list: Socket[]) => list.map((s) => s.state);

describe('filters', () => {
  it('a filter nested 5,000 deep is a usage error naming the limit, not a crash (exit 2)', () => {
    for (const deep of [
      `${'( '.repeat(5000)}sport = :1${' )'.repeat(5000)}`,
      `${'not '.repeat(5000)}sport = :1`,
    ]) {
      expect(() => parseExpression(deep)).toThrow(/nested deeper than 100/);
    }
    // Long flat chains are lists, not nesting.
    const chain = parseExpression(Array.from({ length: 100_000 }, () => 'sport = :1').join(' and '));
    expect(chain({ local: { address: '10.0.0.1', port: 1 } } as Socket)).toBe(true);
    // Deep but within the limit still works.
    const ok = parseExpression(`${'( '.repeat(100)}sport = :1${' )'.repeat(100)}`);
    expect(ok({ local: { address: '10.0.0.1', port: 1 } } as Socket)).toBe(true);
    const r = runCli(['analyze', '-', '-f', `${'( '.repeat(5000)}sport = :1${' )'.repeat(5000)}`], {
      input: 'State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:1 10.0.0.2:2\n',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tcpstate: filter expression: nested deeper than 100/);
  });
  it('keeps states and groups like ss', () => {
    expect(states(applyFilter(sockets, { states: ['time-wait'] }))).toEqual(['TIME_WAIT']);
    expect(states(applyFilter(sockets, { states: ['bucket'] }))).toEqual(['TIME_WAIT', 'SYN_RECEIVED']);
    expect(states(applyFilter(sockets, { states: ['connected'] }))).not.toContain('LISTEN');
    expect(states(applyFilter(sockets, { states: ['synchronized'] }))).not.toContain('SYN_SENT');
    expect(states(applyFilter(sockets, { exclude: ['listening,established'] }))).toEqual([
      'TIME_WAIT',
      'CLOSE_WAIT',
      'SYN_SENT',
      'SYN_RECEIVED',
    ]);
  });

  it('evaluates port and address expressions', () => {
    expect(states(applyFilter(sockets, { expression: 'dport = :443' }))).toEqual(['TIME_WAIT']);
    expect(states(applyFilter(sockets, { expression: 'sport = :22 and not state listening' }))).toEqual([
      'ESTABLISHED',
      'SYN_RECEIVED',
    ]);
    expect(
      states(applyFilter(sockets, { expression: '( dport >= :5000 and dport < :6000 ) or dst [::1]' })),
    ).toEqual(['CLOSE_WAIT', 'SYN_SENT']);
    expect(states(applyFilter(sockets, { expression: 'dst 10.0.0.0/24' }))).toEqual([
      'ESTABLISHED',
      'SYN_RECEIVED',
    ]);
    expect(states(applyFilter(sockets, { expression: 'dst 10.1.2.3:5432' }))).toEqual(['CLOSE_WAIT']);
    expect(states(applyFilter(sockets, { ports: [8080] }))).toEqual(['SYN_SENT']);
  });

  it('names the word where an expression goes wrong', () => {
    expect(() => parseExpression('dport = :abc')).toThrow(/expected a port number.*':abc'/);
    expect(() => parseExpression('( sport = :22')).toThrow(/expected '\)'/);
    expect(() => parseExpression('bogus')).toThrow(/at 'bogus'/);
    expect(() => applyFilter(sockets, { states: ['nonsense'] })).toThrow(/unknown state 'nonsense'/);
  });

  it('never throws anything but typed errors on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const p = parseExpression(text);
          for (const s of sockets) p(s);
        } catch (error) {
          if (!isTcpstateError(error)) throw error;
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('matches CIDR prefixes for IPv4 and IPv6', () => {
    expect(addressMatcher('10.0.0.0/8')?.('10.200.1.1')).toBe(true);
    expect(addressMatcher('10.0.0.0/8')?.('11.0.0.1')).toBe(false);
    expect(addressMatcher('fe80::/10')?.('fe80::1')).toBe(true);
    expect(addressMatcher('fe80::/10')?.('2001:db8::1')).toBe(false);
    expect(addressMatcher('::ffff:0:0/96')?.('::ffff:10.0.0.1')).toBe(true);
    expect(addressMatcher('not-an-address')).toBeUndefined();
  });
});
