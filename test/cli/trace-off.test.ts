/**
 * watch, record and serve open the kernel trace through one helper (src/cli/kernel-trace.ts) and say in one
 * wording, once, that `--trace auto` could not trace and what they do instead. Run as an unprivileged user (the
 * trace needs root), from source, as a user would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, waitFor } from '../helpers/netns.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ready = process.getuid?.() === 0 && hasCommand('runuser');
const asNobody = (args: string[]) => [
  '-u',
  'nobody',
  '--',
  process.execPath,
  '--import',
  'tsx',
  main,
  ...args,
];
const off = (command: string, instead: string) =>
  `tcpstate ${command}: kernel trace off (kernel tracing needs root (BPF programs and tracepoints)); ${instead}\n`;

describe.skipIf(!ready)(
  `--trace auto without root${ready ? '' : ' (skipped: needs root and runuser)'}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-trace-off-'));
    chmodSync(dir, 0o777);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const env = { ...process.env, NO_COLOR: '1' };

    it('watch and record say it once, first, and go on', () => {
      for (const [command, args, instead] of [
        ['watch', ['watch', '-i', '200ms', '-d', '500ms', '--plain'], 'ages are bounds from the looks'],
        [
          'record',
          ['record', '--db', join(dir, 'r.db'), '-i', '200ms', '-d', '500ms'],
          'stays are bounds from the looks',
        ],
      ] as const) {
        const r = spawnSync('runuser', asNobody([...args]), {
          cwd: root,
          encoding: 'utf8',
          env,
          timeout: 60_000,
        });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr.startsWith(off(command, instead))).toBe(true);
        expect(r.stderr.split('kernel trace off').length).toBe(2);
      }
    }, 120_000);

    it('serve says it before its address', async () => {
      const child = spawn('runuser', asNobody(['serve', '--port', '0']), { cwd: root, env });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      try {
        await waitFor(() => (err.includes('/metrics') ? true : undefined), 60_000);
        expect(err.startsWith(off('serve', 'transitions come from snapshot diffs'))).toBe(true);
        expect(err).toMatch(/\ntcpstate serve: http:\/\/127\.0\.0\.1:\d+\/ \(dashboard\)/);
      } finally {
        child.kill('SIGTERM');
      }
    }, 90_000);
  },
);
