import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeProcAddress, parseProcNetTcp } from '../src/sources/proc/proc-net-tcp.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/netstat/${name}`, import.meta.url), 'utf8');

describe('/proc/net/tcp', () => {
  it('decodes little-endian IPv4 and IPv6 words', () => {
    expect(decodeProcAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeProcAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeProcAddress('0000000000000000FFFF00000100007F', true)).toBe('127.0.0.1');
    expect(decodeProcAddress('000080FE00000000FF005450B6AD1DFE', true)).toBe('fe80::5054:ff:fe1d:adb6');
  });

  it('decodes big-endian hosts without byte reversal', () => {
    expect(decodeProcAddress('7F000001', false)).toBe('127.0.0.1');
  });

  it('parses the real /proc/net/tcp fixture', () => {
    const warnings: never[] = [];
    const text = fixture('linux-proc-net-tcp-1.txt').replace(/^#.*\n/gm, '');
    const sockets = parseProcNetTcp(text, 'inet', warnings);
    expect(warnings).toEqual([]);
    expect(sockets.length).toBeGreaterThan(0);
    for (const s of sockets) expect(s.local.port).toBeGreaterThanOrEqual(0);
  });
});
