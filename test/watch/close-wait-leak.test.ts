/**
 * A real CLOSE_WAIT leak in network namespaces (a python3 server that never closes, a client that connects and
 * closes every 200 ms) seen by watch in tmux at 80x24, by record and by report, against `ss` as ground truth.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { runCli } from '../helpers/cli.ts';
import { stageCloseWaitLeak } from '../helpers/close-wait-leak.ts';
import { canUseNetns, createNetnsPair, hasCommand, type NetnsPair, waitFor } from '../helpers/netns.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ready = canUseNetns && hasCommand('tmux') && hasCommand('python3');
const cli = `${process.execPath} --import tsx src/cli/main.ts`;

describe.skipIf(!ready)('a CLOSE_WAIT leak over time', () => {
  let pair: NetnsPair;
  const session = `tcpst-watch-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const closeWaits = () => pair.ss(pair.a.ns).filter((r) => r.state === 'CLOSE-WAIT').length;

  beforeAll(async () => {
    pair = createNetnsPair('tcpst-ot');
    await stageCloseWaitLeak(pair, 200);
  }, 30_000);
  afterAll(() => {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // already gone
    }
    pair?.cleanup();
  });

  it('watch shows the leak growing, with ages, and answers its keys (tmux 80x24)', async () => {
    tmux(
      'new-session',
      '-d',
      '-x',
      '80',
      '-y',
      '24',
      '-s',
      session,
      `cd ${root} && ip netns exec ${pair.a.ns} ${cli} watch -i 300ms`,
    );
    const first = await waitFor(() => {
      const m = screen().match(/^CLOSE_WAIT\s+(\d+)/m);
      return m && Number(m[1]) >= 10 ? screen() : undefined;
    }, 20_000);
    const lines = first.split('\n');
    // The reader: netlink where the addon is built, /proc otherwise.
    const source = netlinkUnavailableReason() === undefined ? 'netlink' : '\\/proc\\/net\\/tcp';
    // `+ kernel trace` where tracing runs (root, BTF: watch --trace auto)
    expect(lines[0]).toMatch(
      new RegExp(`^tcpstate watch · ${source}( \\+ kernel trace)? · \\d\\d:\\d\\d:\\d\\d · \\d+ sockets`),
    );
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    // The screen's count lies between what ss saw a little before and right after.
    const shown = Number(first.match(/^CLOSE_WAIT\s+(\d+)/m)![1]);
    expect(shown).toBeLessThanOrEqual(closeWaits());
    // Oldest CLOSE_WAIT with an age (≥ a bound from the looks, ~ an estimate from tcp_info for a socket older than
    // the kernel trace, or exact), and the leaking port at the top.
    expect(first).toMatch(
      /OLDEST IN STATE\nCLOSE_WAIT\s+[≥~]?\d+\.\ds\s+10\.77\.\d+\.1:8080 → 10\.77\.\d+\.2:\d+/,
    );
    expect(first).toMatch(/^8080 \d+/m);
    // Ages grow: wait a second and the oldest is older.
    const age = (text: string) => Number(text.match(/OLDEST IN STATE\nCLOSE_WAIT\s+[≥~]?(\d+\.\d)s/)![1]);
    const a0 = age(first);
    const later = await waitFor(() => (age(screen()) >= a0 + 1 ? screen() : undefined), 10_000);
    expect(age(later)).toBeGreaterThanOrEqual(a0 + 1);

    tmux('send-keys', '-t', session, 'p');
    await waitFor(() => (screen().includes('PAUSED') ? true : undefined), 5000);
    const frozen = screen().split('\n')[0];
    await new Promise((r) => setTimeout(r, 900));
    expect(screen().split('\n')[0]).toBe(frozen); // no new look while paused
    tmux('send-keys', '-t', session, 'p');
    tmux('send-keys', '-t', session, 's');
    await waitFor(() => (screen().includes('sort change') ? true : undefined), 5000);
    tmux('send-keys', '-t', session, 'f');
    tmux('send-keys', '-t', session, '-l', 'bogus');
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(() => (screen().includes("filter: unknown state 'bogus'") ? true : undefined), 5000);
    tmux('send-keys', '-t', session, 'f');
    tmux('send-keys', '-t', session, '-l', 'close-wait');
    tmux('send-keys', '-t', session, 'Enter');
    // The next look applies the filter, and the sparklines start again from it: the listener is gone from the
    // states (its unfiltered history would have kept a 'LISTEN 0' row with the old sparkline).
    const filtered = await waitFor(() => {
      const s = screen();
      return s.includes('filter close-wait') && !/^LISTEN/m.test(s) ? s : undefined;
    }, 5000);
    expect(filtered).toMatch(/^CLOSE_WAIT\s+\d+/m);

    tmux('resize-window', '-t', session, '-x', '60', '-y', '14');
    const small = await waitFor(() => {
      const s = screen().trimEnd().split('\n');
      return s.length <= 14 && s[0]?.startsWith('tcpstate watch') && s.every((l) => l.length <= 60)
        ? s
        : undefined;
    }, 5000);
    expect(small.join('\n')).toMatch(/^CLOSE_WAIT\s+\d+/m);

    tmux('send-keys', '-t', session, 'q');
    await waitFor(() => {
      try {
        tmux('has-session', '-t', session);
        return undefined;
      } catch {
        return true;
      }
    }, 5000);
  }, 60_000);

  it('watch prints one plain line per look when stdout is not a terminal', () => {
    const out = pair.exec(pair.a.ns, process.execPath, [
      '--import',
      'tsx',
      `${root}src/cli/main.ts`,
      'watch',
      '-i',
      '200ms',
      // long enough for three looks on a loaded CI machine (a look there can take 300 ms of a shared core)
      '-d',
      '2500ms',
    ]);
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z total=\d+ .*CLOSE_WAIT=\d+/);
    expect(lines.at(-1)).toMatch(/oldest CLOSE_WAIT [≥~]?\d+(\.\d)?s 10\.77\.\d+\.1:8080->/);
  }, 30_000);

  it('record and report find the leak and its rate', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'tcpstate-leak-')), 'leak.db');
    const recorder = pair.spawn(pair.a.ns, process.execPath, [
      '--import',
      'tsx',
      `${root}src/cli/main.ts`,
      'record',
      '--db',
      db,
      '-i',
      '300ms',
      '-d',
      '7s',
      '--span-min',
      '1s',
      '-p',
    ]);
    const done = new Promise((r) => recorder.on('exit', r));
    // Its seven seconds start at its first look, which a loaded machine delays by seconds: time from there.
    let said = '';
    recorder.stderr?.on('data', (d) => {
      said += d;
    });
    await waitFor(() => (said.includes('recording to') ? true : undefined), 30_000);
    // Ground truth for the rate: ss, sampled while the recorder runs.
    const sample = () => ({ at: Date.now(), n: closeWaits() });
    await new Promise((r) => setTimeout(r, 3000));
    const s1 = sample();
    await new Promise((r) => setTimeout(r, 3000));
    const s2 = sample();
    await done;
    const after = closeWaits();
    const truth = ((s2.n - s1.n) / (s2.at - s1.at)) * 60_000; // ~300/min from a 200 ms client
    const report = runCli(['report', '--db', db, '--json']);
    expect(report.status).toBe(0);
    const json = JSON.parse(report.stdout);
    const leak = json.leaks.find((l: { state: string; scope: string }) => l.state === 'CLOSE_WAIT');
    expect(leak).toMatchObject({ kind: 'leak', scope: 'service', key: '8080' });
    expect(leak.perMinute).toBeGreaterThan(truth * 0.7);
    expect(leak.perMinute).toBeLessThan(truth * 1.3);
    expect(leak.title).toMatch(/^CLOSE_WAIT growing \d+\/min for process python3 \(\d+\) on port 8080/);
    const cw = json.states.find((s: { state: string }) => s.state === 'CLOSE_WAIT');
    expect(cw.last).toBeLessThanOrEqual(after);
    expect(cw.last).toBeGreaterThanOrEqual(after - 5);
    // The stuck connections are named, with ages of at least the recording for the first ones.
    expect(json.stuck[0].span.local).toMatch(/:8080$/);
    expect(json.stuck[0].ageMs).toBeGreaterThan(4000);

    const html = join(tmpdir(), `tcpstate-leak-${process.pid}.html`);
    expect(runCli(['report', '--db', db, '--html', html]).stdout).toBe(`HTML report written to ${html}\n`);
    expect(readFileSync(html, 'utf8')).toContain('CLOSE_WAIT growing');
    const text = runCli(['report', '--db', db]);
    expect(text.stdout).toMatch(
      /LEAK\s+CLOSE_WAIT growing \d+\/min for process python3 \(\d+\) on port 8080/,
    );
    expect(text.stdout).toMatch(/^CLOSE_WAIT\s+\d+\s+\d+ at \d\d:\d\d:\d\d/m);
  }, 60_000);
});
