/** cgroup ids from sock_diag resolved to paths, against `ss --cgroup`, and the `--by cgroup` group. */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupLabel } from '../../src/analysis/cgroup-label.ts';
import { cgroup2Mount } from '../../src/sources/netlink/cgroups.ts';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { runCli } from '../helpers/cli.ts';
import { canUseNetns, createNetnsPair, type NetnsPair, waitFor } from '../helpers/netns.ts';

const mount = cgroup2Mount();
const skipReason =
  netlinkUnavailableReason() ??
  (canUseNetns ? (mount === undefined ? 'no cgroup2 mount' : undefined) : 'needs root (namespaces, cgroups)');

describe.skipIf(skipReason !== undefined)(`cgroups${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let pair: NetnsPair;
  let child: ChildProcess;
  const name = `tcpst-cg-${process.pid}-${Date.now() % 100000}`;
  const dir = `${mount}/${name}`;

  beforeAll(async () => {
    pair = createNetnsPair('tcpst-cg');
    mkdirSync(dir);
    // nsenter (not `ip netns exec`, which mounts its own /sys) so the shell can join the cgroup before python starts.
    child = spawn('nsenter', [
      `--net=/run/netns/${pair.a.ns}`,
      'sh',
      '-c',
      `echo $$ > ${dir}/cgroup.procs && exec python3 -c "import socket,time;l=socket.socket();l.bind(('127.0.0.1',7788));l.listen();print('ready',flush=True);time.sleep(60)"`,
    ]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor(() => (out.includes('ready') ? true : undefined), 10_000);
  }, 20_000);

  afterAll(() => {
    child?.kill('SIGKILL');
    pair?.cleanup();
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        execFileSync('sleep', ['0.05']);
      }
    }
  });

  it('resolves the cgroup id to the path ss --cgroup prints', () => {
    // nsenter, not `ip netns exec`: ss resolves cgroup ids through /sys/fs/cgroup, which `ip netns exec` remounts.
    const ss = execFileSync('nsenter', [`--net=/run/netns/${pair.a.ns}`, 'ss', '-tln', '--cgroup'], {
      encoding: 'utf8',
    });
    expect(ss).toContain(`cgroup:/${name}`);
    const doc = JSON.parse(runCli(['--netns', pair.a.ns, '--json', '--by', 'cgroup']).stdout);
    const listener = doc.sockets.find((s: { local: { port: number } }) => s.local.port === 7788);
    expect(listener.cgroup).toBe(`/${name}`);
    expect(listener.cgroupId).toBeGreaterThan(1);
    expect(doc.groups.cgroup).toContainEqual(expect.objectContaining({ key: `/${name}`, total: 1 }));
    const text = runCli(['--netns', pair.a.ns, '--by', 'cgroup', '--no-findings']).stdout;
    expect(text).toMatch(
      new RegExp(`CGROUPS \\(1 in all\\)\\nCGROUP\\s+TOTAL\\s+LISTEN\\n/${name}\\s+1\\s+1`),
    );
  });

  it('names systemd units and containers shortly', () => {
    expect(cgroupLabel('/system.slice/nginx.service')).toBe('nginx.service');
    expect(cgroupLabel(`/system.slice/docker-${'ab12'.repeat(16)}.scope`)).toBe('docker:ab12ab12ab12');
    expect(cgroupLabel(`/kubepods.slice/x/cri-containerd-${'0f'.repeat(32)}.scope`)).toBe(
      'containerd:0f0f0f0f0f0f',
    );
    expect(cgroupLabel('/')).toBe('/');
  });
});
