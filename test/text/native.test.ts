import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTcpstateError } from '../../src/errors.ts';
import { nativePlan, type RunCommand, readNativeSnapshot } from '../../src/sources/native/native.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/netstat', name));

/** A fake runner: answers each expected command line with fixture bytes and records what was run. */
function fakeRun(answers: Record<string, Buffer | Error>): RunCommand & { calls: string[] } {
  const calls: string[] = [];
  const run = async (command: string, args: readonly string[]) => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    const answer = answers[line];
    if (answer === undefined) throw new Error(`unexpected command ${line}`);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return Object.assign(run, { calls });
}

describe('native live mode on other operating systems (fixture text as the command output)', () => {
  it('Windows runs netstat -ano and reads PIDs', async () => {
    const run = fakeRun({ 'netstat -ano': fixture('windows-netstat-aon-1.txt') });
    const s = await readNativeSnapshot({ platform: 'win32', run });
    expect(run.calls).toEqual(['netstat -ano']);
    expect(s.source).toMatchObject({ kind: 'native', format: 'windows-netstat', os: 'windows' });
    expect(s.sockets.length).toBe(71);
    expect(s.sockets.every((x) => x.processes !== undefined)).toBe(true);
  });
  it('macOS runs netstat -anv -p tcp (Tahoe process:pid)', async () => {
    const run = fakeRun({ 'netstat -anv -p tcp': fixture('macos-netstat-anvp-tcp-26-1.txt') });
    const s = await readNativeSnapshot({ platform: 'darwin', run });
    expect(s.source.os).toBe('macos');
    expect(s.sockets.length).toBe(6);
  });
  it('FreeBSD joins sockstat owners to netstat rows by endpoints', async () => {
    // sockstat rows written for two of the fixture's sockets, in FreeBSD's sockstat layout.
    const sockstat = [
      'USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS',
      'root     sshd       812   4  tcp4   192.168.71.163:22     192.168.71.1:56321',
      'root     sendmail   640   5  tcp4   127.0.0.1:25          *:*',
      'root     syslogd    500   6  udp4   *:514                 *:*',
      '',
    ].join('\n');
    const run = fakeRun({
      'netstat -an -p tcp': fixture('freebsd-netstat-an-1.txt'),
      'sockstat -4 -6': Buffer.from(sockstat),
    });
    const s = await readNativeSnapshot({ platform: 'freebsd', run });
    expect(s.processesLookedUp).toBe(true);
    const ssh = s.sockets.find((x) => x.local.port === 22 && x.state === 'ESTABLISHED');
    expect(ssh?.processes).toEqual([{ command: 'sshd', pid: 812, fd: 4 }]);
    const smtp = s.sockets.find((x) => x.local.port === 25);
    expect(smtp?.processes).toEqual([{ command: 'sendmail', pid: 640, fd: 5 }]);
    expect(s.sockets.filter((x) => x.processes?.length === 0).length).toBe(s.sockets.length - 2);
  });
  it('a failing sockstat leaves a note; a failing netstat is a typed error', async () => {
    const s = await readNativeSnapshot({
      platform: 'freebsd',
      run: fakeRun({
        'netstat -an -p tcp': fixture('freebsd-netstat-an-1.txt'),
        'sockstat -4 -6': new Error('not found'),
      }),
    });
    expect(s.processNote).toMatch(/sockstat failed/);
    const error = await readNativeSnapshot({ platform: 'win32', run: fakeRun({}) }).catch((e: unknown) => e);
    expect(isTcpstateError(error)).toBe(true);
    expect(() => nativePlan('linux')).toThrow(/reads \/proc/);
  });
});
