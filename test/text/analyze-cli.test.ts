import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const fixtureDir = join(import.meta.dirname, '../fixtures/netstat');
const fixture = (name: string) => join(fixtureDir, name);

describe('tcpstate analyze', () => {
  it('reads a pasted Windows -abno listing from stdin, detects the format, shows processes', () => {
    const r = runCli(['analyze', '-'], { input: readFileSync(fixture('windows-netstat-aonb-1.txt')) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tcpstate · stdin \(windows-netstat\)/);
    expect(r.stdout).toMatch(/114 TCP sockets: 99 IPv4, 15 IPv6 · 51 listening/);
    expect(r.stdout).toMatch(/skipped \(not TCP\): 204 udp/);
    expect(r.stdout).toMatch(/svchost\.exe|System \(4\)/);
  });
  it('--json carries the source, the sockets and the skipped counts', () => {
    const r = runCli(['analyze', fixture('macos-netstat-anv-tahoe-5.txt'), '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.source).toMatchObject({ kind: 'text', format: 'bsd-netstat', os: 'macos' });
    expect(doc.sockets).toHaveLength(2);
  });
  it('filters work as in the live view', () => {
    const r = runCli(['analyze', fixture('linux-ss-tanop-nginx-timers-2.txt'), '--csv', '-s', 'fin-wait-2']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1 + 12);
  });
  it('--strict fails on the first unreadable line, naming it', () => {
    const r = runCli(['analyze', fixture('linux-netstat-ant-close-1.txt'), '--strict']);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/linux-netstat-ant-close-1\.txt:8: not a netstat row: lpqtcp/);
    const lax = runCli(['analyze', fixture('linux-netstat-ant-close-1.txt')]);
    expect(lax.status).toBe(0);
    expect(lax.stdout).toMatch(/line 8/);
  });
  it('missing, empty and binary inputs are one-line errors', () => {
    for (const [args, message] of [
      [['analyze', '/nonexistent/x.txt'], /x\.txt: no such file/],
      [['analyze', '-'], /stdin: empty input/],
      [['analyze', process.execPath], /binary data/],
    ] as const) {
      const r = runCli([...args], { input: '' });
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
