import { readFileSync } from 'node:fs';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { renderExplanation } from '../../src/render/explain.ts';
import { displayWidth as displayWidthOf, wrap } from '../../src/render/wrap.ts';
import { TIMER_SETTINGS_ZH, TIMER_VALUES_ZH } from '../../src/states/explain/facts-zh.ts';
import { explainAll, explainState } from '../../src/states/explain/index.ts';
import { renderStatesDoc } from '../../src/states/explain/markdown.ts';
import { EXPLAIN_LANGS, STACKS } from '../../src/states/explain/types.ts';
import { parseState, TCP_STATES } from '../../src/states/states.ts';
import { runCli } from '../helpers/cli.ts';

function procSys(name: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

describe('state explanations', () => {
  it('has every field in both languages for all eleven states', () => {
    expect(explainAll()).toHaveLength(11);
    for (const e of explainAll()) {
      for (const lang of EXPLAIN_LANGS) {
        const t = e.text[lang];
        for (const field of ['summary', 'meaning', 'side', 'timer', 'manyMeans'] as const) {
          expect(t[field].length, `${e.state} ${lang} ${field}`).toBeGreaterThan(1);
        }
        expect(t.enteredBy.length, `${e.state} ${lang} enteredBy`).toBeGreaterThan(0);
        expect(t.leftBy.length, `${e.state} ${lang} leftBy`).toBeGreaterThan(0);
        expect(t.misconceptions.length, `${e.state} ${lang} misconceptions`).toBeGreaterThan(0);
      }
      // The Chinese text is a translation, so its lists have the same length as the English ones.
      expect(e.text.zh.enteredBy.length).toBe(e.text.en.enteredBy.length);
      expect(e.text.zh.leftBy.length).toBe(e.text.en.leftBy.length);
      expect(e.text.zh.misconceptions.length).toBe(e.text.en.misconceptions.length);
      expect(e.text.zh.meaning).toMatch(/[\u4e00-\u9fff]/);
      for (const s of STACKS) expect(e.timers[s].source.length, `${e.state} ${s}`).toBeGreaterThan(3);
    }
  });

  it('has a Chinese wording for every timer value', () => {
    for (const e of explainAll()) {
      for (const s of STACKS)
        expect(TIMER_VALUES_ZH[e.timers[s].value], `${e.state} ${s}: ${e.timers[s].value}`).toBeDefined();
    }
  });

  it('states the misconceptions the issue requires', () => {
    const tw = explainState('TIME_WAIT').text.en.misconceptions.join(' ');
    expect(tw).toMatch(/Maximum Segment Lifetime/);
    expect(explainState('TIME_WAIT').text.zh.misconceptions.join('')).toMatch(/最大报文段生存时间/);
    expect(explainState('CLOSING').text.en.misconceptions.join(' ')).toMatch(
      /receiving the peer's FIN before our own FIN is acknowledged.*not by a timer/,
    );
    expect(explainState('SYN_RECEIVED').text.en.misconceptions.join(' ')).toMatch(
      /second step of the three-way handshake/,
    );
  });

  // Transcribed from docs/timers.md (the table of default timer values).
  it.each([
    ['TIME_WAIT', 'rfc', /2 x MSL = 4 min/],
    ['TIME_WAIT', 'linux', /^60 s/],
    ['TIME_WAIT', 'freebsd', /60 s \(MSL 30 s\)/],
    ['TIME_WAIT', 'macos', /30 s \(MSL 15 s\)/],
    ['TIME_WAIT', 'windows', /120 s by default \(240 s on Windows 2000\)/],
    ['FIN_WAIT_2', 'linux', /^60 s/],
    ['FIN_WAIT_2', 'freebsd', /600 s/],
    ['FIN_WAIT_2', 'macos', /^60 s/],
    ['SYN_SENT', 'linux', /~127 s/],
    ['SYN_SENT', 'freebsd', /75 s/],
    ['SYN_SENT', 'macos', /75 s/],
    ['SYN_SENT', 'windows', /~21 s/],
    ['SYN_RECEIVED', 'linux', /5 SYN-ACK retransmissions/],
    ['CLOSE_WAIT', 'linux', /^none$/],
  ] as const)('%s on %s matches docs/timers.md', (state, stack, pattern) => {
    expect(explainState(state).timers[stack].value).toMatch(pattern);
  });

  it('agrees with what this kernel reports', () => {
    const fin = procSys('tcp_fin_timeout');
    if (fin !== undefined && fin === 60)
      expect(explainState('FIN_WAIT_2').timers.linux.value).toMatch(/^60 s/);
    const syn = procSys('tcp_syn_retries');
    if (syn !== undefined && syn === 6) expect(explainState('SYN_SENT').timers.linux.value).toMatch(/^6 SYN/);
    const synack = procSys('tcp_synack_retries');
    if (synack !== undefined && synack === 5)
      expect(explainState('SYN_RECEIVED').timers.linux.value).toMatch(/^5 SYN-ACK/);
    // At least one of them must have been readable on Linux, or this test checked nothing.
    if (process.platform === 'linux') expect([fin, syn, synack].some((v) => v !== undefined)).toBe(true);
  });

  it('lists spellings that all parse back to the state', () => {
    for (const state of TCP_STATES) {
      for (const [source, word] of Object.entries(explainState(state).spellings)) {
        if (source === '/proc') continue;
        expect(parseState(word), `${source} ${word}`).toBe(state);
      }
    }
  });

  it('keeps docs/states.md equal to what the generator writes', () => {
    const committed = readFileSync(new URL('../../docs/states.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderStatesDoc());
  });
});

describe('tcpstate explain', () => {
  it.each(['time-wait', 'TIME_WAIT', 'TIME-WAIT', 'WARTEND', 'TimeWait'])(
    'prints TIME-WAIT for %s',
    (word) => {
      const r = runCli(['explain', word]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^TIME-WAIT — /);
    },
  );

  it('prints the table of all states', () => {
    const r = runCli(['explain']);
    expect(r.status).toBe(0);
    for (const name of ['LISTEN', 'SYN-RECEIVED', 'CLOSE-WAIT', 'TIME-WAIT', 'CLOSED'])
      expect(r.stdout).toContain(name);
    // Fits an 80-column terminal when not a TTY.
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('prints Chinese with --lang zh', () => {
    const r = runCli(['explain', 'closing', '--lang', 'zh']);
    expect(r.stdout).toContain('同时关闭');
  });

  it('rejects an unknown state with exit 2 and lists the valid names', () => {
    const r = runCli(['explain', 'FOO']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'FOO' is not a TCP state.*TIME-WAIT/);
  });

  it('prints JSON', () => {
    const r = runCli(['explain', 'LISTEN', '--json']);
    expect(JSON.parse(r.stdout).state).toBe('LISTEN');
  });

  it('prints the per-OS timer notes in Chinese with --lang zh (issue 16)', () => {
    for (const state of ['time-wait', 'fin-wait-2', 'syn-sent', 'established']) {
      const r = runCli(['explain', state, '--lang', 'zh']);
      expect(r.status).toBe(0);
      const timers = r.stdout.slice(
        r.stdout.indexOf('定时器'),
        r.stdout.indexOf('\n\n', r.stdout.indexOf('定时器')),
      );
      // Names of settings (net.ipv4.tcp_fin_timeout, TCP_LINGER2, keepcnt ...) stay; English prose does not.
      const words = timers
        .split(/[\s[\]（）()，；：,;:]+/)
        .filter((w) => /^[a-z]{2,}$/.test(w) && !/^(keepcnt|keepintvl|keepinit|connect)$/.test(w));
      expect(words, `${state}: ${timers}`).toEqual([]);
      expect(timers).not.toMatch(/not tunable|caps the count|per socket/);
    }
    for (const e of explainAll())
      for (const s of STACKS) {
        const setting = e.timers[s].setting;
        if (setting && /\b(not|the|per|max|caps|count)\b/.test(setting))
          expect(TIMER_SETTINGS_ZH[setting], `${e.state} ${s}: ${setting}`).toBeDefined();
      }
  });

  it('never ends a wrapped line with an opening bracket nor starts one with closing punctuation (issue 16)', () => {
    const opening = /[（《「『“‘〔【〈]$/;
    const closing = /^\s*[，。、；：！？）》」』”’〕】〉]/;
    const colors = pc.createColors(false);
    for (const e of explainAll())
      for (const width of [40, 53, 61, 80, 97]) {
        const text = renderExplanation(e, { lang: 'zh', colors, width, names: 'rfc' });
        for (const line of text.split('\n')) {
          expect(line, `${e.state} at ${width}`).not.toMatch(opening);
          expect(line, `${e.state} at ${width}`).not.toMatch(closing);
        }
      }
    for (let width = 6; width <= 30; width++)
      for (const line of wrap(
        '默认 120 秒（Windows 2000 为 240 秒）；范围「30-300 秒」。时间戳“更大”，可以复用。',
        width,
      )) {
        expect(line, `${width}`).not.toMatch(opening);
        expect(line, `${width}`).not.toMatch(closing);
        expect(displayWidthOf(line), `${width}: ${line}`).toBeLessThanOrEqual(Math.max(width, 14));
      }
  });
});
