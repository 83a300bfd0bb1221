/**
 * Endpoint-state inference: the transition table against RFC 9293's (test/fixtures/tcp-fsm), every transition
 * inferred on the real Zeek traces, and hand-built scenarios for each anomaly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtCollector } from '../../src/capture/at.ts';
import type { Connection } from '../../src/capture/conn.ts';
import { ENDPOINT_EVENTS, type EndpointEvent, nextState } from '../../src/capture/engine-moves.ts';
import { CapturePipeline, readConnections } from '../../src/capture/pipeline.ts';
import { Timeline } from '../../src/capture/timeline.ts';
import type { SplitMode } from '../../src/capture/tracker.ts';
import { connState } from '../../src/capture/zeek.ts';
import { parseState, TCP_STATES, type TcpState } from '../../src/states/states.ts';
import { isRfcTransition, RFC_EDGES } from '../../src/states/transitions.ts';
import { frame, ipTcp, pcap } from './synth.ts';

const fixtures = join(import.meta.dirname, '../fixtures');

describe('transition table', () => {
  const json = JSON.parse(readFileSync(join(fixtures, 'tcp-fsm/rfc9293-transitions.json'), 'utf8')) as {
    transitions: Array<{ state: string; next_state: string }>;
  };
  const norm = (s: string): TcpState[] =>
    s
      .replace(/\(.*\)/, '')
      .split('/')
      .map((w) => parseState(w.trim()))
      .filter((x): x is TcpState => x !== undefined);
  const derived = new Set<string>();
  for (const t of json.transitions) {
    for (const from of norm(t.state))
      for (const to of norm(t.next_state)) if (from !== to) derived.add(`${from}>${to}`);
  }

  it('is exactly the set of state changes in the RFC 9293 table', () => {
    expect(new Set(RFC_EDGES.map((e) => `${e.from}>${e.to}`))).toEqual(derived);
    expect(RFC_EDGES).toHaveLength(derived.size);
  });

  it('nextState (the engine, src/fsm step) only ever makes RFC moves', () => {
    for (const s of TCP_STATES) {
      for (const e of ENDPOINT_EVENTS) {
        const to = nextState(s, e);
        if (to !== undefined && to !== s) expect(isRfcTransition(s, to), `${s} --${e}--> ${to}`).toBe(true);
      }
    }
  });

  it('the engine moves each endpoint as RFC 9293 section 3.10 says, event by event (a second, hand-written opinion)', () => {
    const hand = (state: TcpState, event: EndpointEvent): TcpState | undefined => {
      switch (event) {
        case 'send-syn':
          return state === 'CLOSED' || state === 'LISTEN' ? 'SYN_SENT' : undefined;
        case 'rcv-syn':
          // TIME_WAIT: a new SYN reopens the tuple (RFC 6191; Linux, the BSDs, Windows).
          return state === 'LISTEN' || state === 'SYN_SENT' || state === 'TIME_WAIT'
            ? 'SYN_RECEIVED'
            : undefined;
        case 'rcv-syn-ack':
          return state === 'SYN_SENT' ? 'ESTABLISHED' : undefined;
        case 'rcv-ack-of-syn':
          return state === 'SYN_RECEIVED' ? 'ESTABLISHED' : undefined;
        case 'send-fin':
          if (state === 'ESTABLISHED' || state === 'SYN_RECEIVED') return 'FIN_WAIT_1';
          return state === 'CLOSE_WAIT' ? 'LAST_ACK' : undefined;
        case 'rcv-fin':
          if (state === 'ESTABLISHED' || state === 'SYN_RECEIVED') return 'CLOSE_WAIT';
          if (state === 'FIN_WAIT_1') return 'CLOSING';
          return state === 'FIN_WAIT_2' ? 'TIME_WAIT' : undefined;
        case 'rcv-ack-of-fin':
          if (state === 'FIN_WAIT_1') return 'FIN_WAIT_2';
          if (state === 'CLOSING') return 'TIME_WAIT';
          return state === 'LAST_ACK' ? 'CLOSED' : undefined;
        case 'send-rst':
          return state === 'CLOSED' || state === 'LISTEN' ? undefined : 'CLOSED';
        case 'rcv-rst':
          // MUST-11: a passive open's SYN-RECEIVED goes back to LISTEN.
          if (state === 'SYN_RECEIVED') return 'LISTEN';
          return state === 'CLOSED' || state === 'LISTEN' ? undefined : 'CLOSED';
        case 'timeout-2msl':
          return state === 'TIME_WAIT' ? 'CLOSED' : undefined;
      }
    };
    for (const s of TCP_STATES)
      for (const e of ENDPOINT_EVENTS) expect(nextState(s, e), `${s} ${e}`).toBe(hand(s, e));
  });

  it('every transition inferred on the Zeek traces is an RFC transition', () => {
    const dir = join(fixtures, 'zeek');
    let moves = 0;
    for (const f of readdirSync(dir).filter((x) => /\.pcap(ng)?$/.test(x))) {
      for (const split of ['product', 'zeek'] as SplitMode[]) {
        for (const c of readConnections(join(dir, f), { split }).connections) {
          for (const side of [c.orig, c.resp]) {
            const h = side.history();
            for (let i = 1; i < h.length; i++) {
              expect(isRfcTransition(h[i - 1]!.state, h[i]!.state), `${f} #${c.id}`).toBe(true);
              expect(h[i]!.at).toBeGreaterThanOrEqual(h[i - 1]!.at);
              moves++;
            }
          }
        }
      }
    }
    expect(moves).toBeGreaterThan(300);
  });
});

// --- scenarios ---------------------------------------------------------------------------------------------

const C = [10, 0, 0, 1];
const S = [10, 0, 0, 2];
type Step = [
  t: number,
  fromClient: boolean,
  seq: number,
  ack: number,
  flags: string,
  payload?: number,
  window?: number,
];

function capture(steps: Step[], options: { split?: SplitMode; timeWait?: number } = {}): Connection[] {
  const pkts = steps.map(([ts, fromClient, seq, ack, flags, payload, window]) => ({
    ts,
    data: frame(
      { type: 'ether' },
      ipTcp({
        src: fromClient ? C : S,
        dst: fromClient ? S : C,
        sport: fromClient ? 40000 : 80,
        dport: fromClient ? 80 : 40000,
        seq,
        ack,
        flags,
        payload: payload ?? 0,
        window: window ?? 65535,
      }),
    ),
  }));
  const out: Connection[] = [];
  const p = new CapturePipeline('t', { ...options, onConnection: (c) => out.push(c) });
  p.push(pcap(pkts, { little: true, nano: false, linktype: 1 }));
  p.end();
  return out;
}

const states = (c: Connection, side: 'orig' | 'resp') => c[side].history().map((h) => h.state);
const kinds = (c: Connection) => (c.anomalies ?? []).map((a) => a.kind);
const handshake: Step[] = [
  [0, true, 100, 0, 'S'],
  [0.01, false, 900, 101, 'SA'],
  [0.02, true, 101, 901, 'A'],
];

describe('scenarios', () => {
  it('active/passive close: TIME_WAIT on the closer, LAST_ACK then CLOSED on the other', () => {
    const [c] = capture([
      ...handshake,
      [1, true, 101, 901, 'FA'],
      [1.01, false, 901, 102, 'A'],
      [2, false, 901, 102, 'FA'],
      [2.01, true, 102, 902, 'A'],
    ]);
    expect(states(c!, 'orig')).toEqual([
      'CLOSED',
      'SYN_SENT',
      'ESTABLISHED',
      'FIN_WAIT_1',
      'FIN_WAIT_2',
      'TIME_WAIT',
    ]);
    expect(states(c!, 'resp')).toEqual([
      'LISTEN',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSED',
    ]);
    expect(c!.rttSynToSynAck).toBeCloseTo(0.01, 6);
    expect(c!.rttSynAckToAck).toBeCloseTo(0.01, 6);
    expect(connState(c!)).toBe('SF');
  });

  it('simultaneous close goes through CLOSING on both sides', () => {
    const [c] = capture([
      ...handshake,
      [1, true, 101, 901, 'FA'],
      [1, false, 901, 101, 'FA'],
      [1.01, true, 102, 902, 'A'],
      [1.01, false, 902, 102, 'A'],
    ]);
    expect(states(c!, 'orig')).toEqual([
      'CLOSED',
      'SYN_SENT',
      'ESTABLISHED',
      'FIN_WAIT_1',
      'CLOSING',
      'TIME_WAIT',
    ]);
    expect(states(c!, 'resp')).toEqual([
      'LISTEN',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'FIN_WAIT_1',
      'CLOSING',
      'TIME_WAIT',
    ]);
    expect(kinds(c!)).toContain('simultaneous-close');
  });

  it('a FIN retransmitted after it was ACKed is a lost final ACK, and TIME_WAIT restarts', () => {
    const [c] = capture([
      ...handshake,
      [1, true, 101, 901, 'FA'],
      [1.01, false, 901, 102, 'FA'],
      [1.02, true, 102, 902, 'A'],
      [1.3, false, 901, 102, 'FA'],
      [1.31, true, 102, 902, 'A'],
    ]);
    expect(kinds(c!)).toContain('lost-final-ack');
    expect(c!.orig.timeWaitAt).toBeCloseTo(1.3, 6);
  });

  it('a new SYN on the tuple ends TIME_WAIT and measures it', () => {
    const conns = capture([
      ...handshake,
      [1, true, 101, 901, 'FA'],
      [1.01, false, 901, 102, 'FA'],
      [1.02, true, 102, 902, 'A'],
      [4.02, true, 5000, 0, 'S'],
      [4.03, false, 7000, 5001, 'SA'],
    ]);
    expect(conns).toHaveLength(2);
    const tw = conns[0]!.anomalies?.find((a) => a.kind === 'time-wait');
    expect(tw?.value).toBeCloseTo(3.01, 6);
    expect(conns[0]!.orig.state).toBe('CLOSED');
    expect(conns[0]!.endReason).toBe('reuse');
    expect(states(conns[1]!, 'orig')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED']);
  });

  it('an unanswered SYN (with retries) is S0, client SYN_SENT, server assumed LISTEN', () => {
    const [c] = capture([
      [0, true, 100, 0, 'S'],
      [1, true, 100, 0, 'S'],
      [3, true, 100, 0, 'S'],
    ]);
    expect(connState(c!)).toBe('S0');
    expect([c!.orig.state, c!.resp.state]).toEqual(['SYN_SENT', 'LISTEN']);
    expect(c!.anomalies?.find((a) => a.kind === 'unanswered-syn')?.value).toBe(3);
  });

  it('a SYN answered by RST is a rejection (REJ); the client is CLOSED', () => {
    const [c] = capture([
      [0, true, 100, 0, 'S'],
      [0.001, false, 0, 101, 'RA'],
    ]);
    expect(connState(c!)).toBe('REJ');
    expect(states(c!, 'orig')).toEqual(['CLOSED', 'SYN_SENT', 'CLOSED']);
    expect(kinds(c!)).toContain('rejected');
  });

  it('a RST as the first packet from a side answering data is a half-open connection', () => {
    const [c] = capture([
      [0, true, 100, 1, 'PA', 10],
      [0.001, false, 1, 0, 'R'],
    ]);
    expect(kinds(c!)).toEqual(expect.arrayContaining(['midstream', 'half-open']));
    expect(connState(c!)).toBe('RSTRH');
  });

  it('mid-stream pickup assumes ESTABLISHED on both sides', () => {
    const [c] = capture([
      [0, true, 100, 1, 'PA', 10],
      [0.001, false, 1, 110, 'A'],
    ]);
    expect([c!.orig.state, c!.resp.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(c!.orig.history()[0]!.assumed).toBe(true);
    expect(connState(c!)).toBe('OTH');
  });

  it('zero windows and retransmissions are counted and shown in history', () => {
    const [c] = capture([
      ...handshake,
      [1, true, 101, 901, 'PA', 100],
      [1.01, false, 901, 201, 'A', 0, 0],
      [1.5, true, 101, 901, 'PA', 100],
    ]);
    // Zeek records the responder's first pure ACK (a) before its zero window (w).
    expect(c!.history).toBe('ShADawT');
    expect(kinds(c!)).toEqual(expect.arrayContaining(['zero-window', 'retransmissions']));
  });

  it('a half-close that lasts is reported as stuck (CLOSE_WAIT)', () => {
    const [c] = capture([
      ...handshake,
      [1, true, 101, 901, 'FA'],
      [1.01, false, 901, 102, 'A'],
      [30, false, 901, 102, 'A'],
    ]);
    expect([c!.orig.state, c!.resp.state]).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
    expect(kinds(c!)).toContain('stuck-half-close');
    expect(connState(c!)).toBe('S2');
  });

  it('--at: each endpoint as its host saw it at T, with the listener', () => {
    const [c] = capture([
      ...handshake,
      [1, true, 101, 901, 'FA'],
      [1.01, false, 901, 102, 'A'],
      [2, false, 901, 102, 'FA'],
      [2.01, true, 102, 902, 'A'],
    ]);
    const at = (t: number) => {
      const col = new AtCollector(t);
      col.add(c!);
      return col
        .snapshot('x')
        .sockets.map((s) => `${s.local.address}:${s.local.port}>${s.remote.port ?? '*'} ${s.state}`)
        .sort();
    };
    expect(at(0.005)).toEqual([
      '10.0.0.1:40000>80 SYN_SENT',
      '10.0.0.2:80>* LISTEN',
      '10.0.0.2:80>40000 SYN_RECEIVED',
    ]);
    expect(at(1.5)).toEqual([
      '10.0.0.1:40000>80 FIN_WAIT_2',
      '10.0.0.2:80>* LISTEN',
      '10.0.0.2:80>40000 CLOSE_WAIT',
    ]);
    expect(at(2.5)).toEqual(['10.0.0.1:40000>80 TIME_WAIT', '10.0.0.2:80>* LISTEN']);
    expect(at(70)).toEqual(['10.0.0.2:80>* LISTEN']);
  });

  it('the timeline counts endpoints per state at each instant', () => {
    const conns = capture([
      ...handshake,
      [1, true, 101, 901, 'FA'],
      [1.01, false, 901, 102, 'A'],
      [2, false, 901, 102, 'FA'],
      [2.01, true, 102, 902, 'A'],
      [3, true, 102, 902, 'A'],
    ]);
    const tl = new Timeline();
    for (const c of conns) tl.add(c, 0);
    tl.setEnd(3);
    const { times, counts } = tl.series();
    const at = (t: number, s: TcpState) => counts[s][times.findIndex((x) => x >= t)]!;
    expect(at(0.5, 'ESTABLISHED')).toBe(2);
    expect(at(1.5, 'FIN_WAIT_2')).toBe(1);
    expect(at(1.5, 'CLOSE_WAIT')).toBe(1);
    expect(at(2.5, 'TIME_WAIT')).toBe(1);
    expect(at(2.5, 'ESTABLISHED')).toBe(0);
  });
});
