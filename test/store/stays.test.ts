import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.ts';
import type { Socket } from '../../src/model/snapshot.ts';
import { renderReportHtml } from '../../src/render/report-html.ts';
import { renderReportText } from '../../src/render/report-text.ts';
import { readReportInput } from '../../src/store/report-input.ts';
import { buildSnapshotWrite } from '../../src/store/snapshot-write.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.ts';
import { ConnectionTracker as Tracker } from '../../src/track/tracker.ts';
import { buildReport } from '../../src/track/trends.ts';
import { listener, recordingFiles, snap, sock } from '../helpers/recording.ts';

const plainColors = pc.createColors(false);
const file = recordingFiles('stays');

/** One recorder session: each look through a fresh tracker resumed from the file, as `record` does. */
function session(
  path: string,
  looks: Array<[number, Socket[]]>,
  findings: (i: number) => Finding[] = () => [],
  spanMinMs = 30_000,
): void {
  const store = openSqliteStore(path, { write: true, spanMinMs });
  const tracker = new Tracker();
  store.resume(tracker);
  looks.forEach(([at, sockets], i) => {
    const s = snap(at, sockets);
    store.append(buildSnapshotWrite(s, tracker.update(s), tracker, findings(i)));
  });
  store.close();
}

const report = (store: SqliteStore) => buildReport(readReportInput(store));

const closeWait = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => sock(40_000 + from + i, 'CLOSE_WAIT'));

describe('a restarted recorder continues from the last look', () => {
  it('counts only what changed between sessions as arrivals and departures', () => {
    const path = file();
    // Sessions of 2 s each, far shorter than --span-min (30 s): no spans, so only the last look's table can help.
    session(path, [
      [0, [listener, ...closeWait(137)]],
      [1000, [listener, ...closeWait(137)]],
    ]);
    session(path, [
      [10_000, [listener, ...closeWait(137)]],
      [11_000, [listener, ...closeWait(137)]],
    ]);
    // Third session: one closed while we were away, two new.
    session(path, [
      [20_000, [listener, ...closeWait(136, 1), sock(50_000, 'CLOSE_WAIT'), sock(50_001, 'CLOSE_WAIT')]],
    ]);
    const store = openSqliteStore(path);
    const snaps = store.snapshots();
    expect(snaps.map((s) => s.arrivals.CLOSE_WAIT)).toEqual([0, 0, 0, 0, 2]);
    expect(snaps.map((s) => s.departures.CLOSE_WAIT)).toEqual([0, 0, 0, 0, 1]);
    // The stays continue: the 136 still there have been in CLOSE_WAIT since before the first look.
    const r = report(store);
    const cw = r.timeInState.find((t) => t.state === 'CLOSE_WAIT')!;
    expect(cw.open.reduce((a, b) => a + b, 0)).toBe(138);
    store.close();
  });
});

describe('report: time in state', () => {
  it('stays under way at the first look are lower bounds (≥), never bucketed as complete', () => {
    const path = file();
    const tw = Array.from({ length: 20 }, (_, i) => sock(30_000 + i, 'TIME_WAIT', 0));
    // 20 TIME_WAIT already there at the first look, gone 2 s later; 5 that begin and end in view (3 s).
    const fresh = Array.from({ length: 5 }, (_, i) => sock(31_000 + i, 'TIME_WAIT', 0));
    session(path, [
      [0, [listener, ...tw]],
      [1000, [listener, ...tw]],
      [2000, [listener]],
      [3000, [listener, ...fresh]],
      [6000, [listener, ...fresh]],
      [9000, [listener]],
    ]);
    const store = openSqliteStore(path);
    const r = report(store);
    store.close();
    const t = r.timeInState.find((x) => x.state === 'TIME_WAIT')!;
    // Complete: the 5 seen begin and end, 3..6 s by the looks' bounds (middle 4.5 s: 1-10s).
    expect(t.endedTotal).toBe(5);
    expect(t.ended[1]).toBe(5);
    // The 20: at least 1 s each (seen at 0 and 1000, gone by 2000), under way at the first look.
    expect(t.atLeastTotal).toBe(20);
    expect(t.atLeast[1]).toBe(20);
    const text = renderReportText(r, 'test', plainColors, 120);
    expect(text).toMatch(/TIME_WAIT.*\n.*≥/);
  });

  it('with only stays under way at the first look, there is no median', () => {
    const path = file();
    const tw = Array.from({ length: 20 }, (_, i) => sock(30_000 + i, 'TIME_WAIT', 0));
    session(path, [
      [0, [listener, ...tw]],
      [5000, [listener, ...tw]],
      [6000, [listener]],
    ]);
    const store = openSqliteStore(path);
    const r = report(store);
    store.close();
    const t = r.timeInState.find((x) => x.state === 'TIME_WAIT')!;
    expect(t.median).toBeUndefined();
    expect(t.endedTotal).toBe(0);
    const line = renderReportText(r, 'test', plainColors, 120)
      .split('\n')
      .find((l) => l.startsWith('TIME_WAIT') && l.includes('20'));
    expect(line).not.toMatch(/1-10s/);
  });

  it('a recording shorter than --span-min: OPEN counts the connections still in the state at the end', () => {
    const path = file();
    session(path, [
      [0, [listener, ...closeWait(75)]],
      [1000, [listener, ...closeWait(75)]],
      [2000, [listener, ...closeWait(75)]],
    ]);
    const store = openSqliteStore(path);
    const r = report(store);
    store.close();
    const cw = r.timeInState.find((t) => t.state === 'CLOSE_WAIT')!;
    expect(cw.open.reduce((a, b) => a + b, 0)).toBe(75);
    const text = renderReportText(r, 'test', plainColors, 140);
    const section = (title: string) => text.split(`${title}\n`)[1]!.split('\n\n')[0]!;
    // In "States over time" NOW is 75, and in "Time in state" OPEN is 75 too (not "·").
    expect(section('States over time')).toMatch(/CLOSE_WAIT +75 /);
    const row = section('Time in state')
      .split('\n')
      .find((l) => l.startsWith('CLOSE_WAIT'));
    expect(row).toMatch(/ 75 +≥2\.0s$/);
  });

  it('the HTML report does not say "0 leaks found" beside a critical leak finding', () => {
    const path = file();
    const finding: Finding = {
      rule: 'close-wait-leak',
      severity: 'critical',
      title: '75 connections stuck in CLOSE_WAIT on :8080',
      detail: '',
      evidence: [],
      references: [],
    } as unknown as Finding;
    session(
      path,
      [
        [0, [listener, ...closeWait(75)]],
        [1000, [listener, ...closeWait(75)]],
      ],
      () => [finding],
    );
    const store = openSqliteStore(path);
    const r = report(store);
    store.close();
    expect(r.leaks.length).toBe(0);
    const html = renderReportHtml(r, 'test');
    expect(html).not.toMatch(/>0<\/div><div class="l">leaks found/);
    expect(html).toMatch(/>1<\/div><div class="l">leak found/);
  });
});

describe('report --html', () => {
  it('writes the page and prints one line, not the text report as well', async () => {
    const { runCli } = await import('../helpers/cli.ts');
    const { existsSync, readFileSync } = await import('node:fs');
    const path = file();
    session(path, [
      [0, [listener, ...closeWait(3)]],
      [1000, [listener, ...closeWait(3)]],
    ]);
    const html = `${file()}.html`;
    const r = runCli(['report', '--db', path, '--html', html]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`HTML report written to ${html}\n`);
    expect(existsSync(html) && readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
  });
});
