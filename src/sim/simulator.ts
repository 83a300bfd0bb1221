/**
 * Two endpoints on a virtual clock joined by a rule-driven network. Everything is deterministic: events are
 * ordered by (time, insertion order), and random loss draws from a seeded PRNG.
 */
import { newTcb, step } from '../fsm/engine.ts';
import { PROFILES, type Profile } from '../fsm/profiles.ts';
import type { Segment, Tcb, TcpEvent, TcpState, TimerName, Timers, UserCall } from '../fsm/types.ts';
import { type EndpointName, type NetworkRules, prng, RuleCounter } from './network.ts';

export interface ScriptStep {
  at: number;
  side: EndpointName;
  call: UserCall;
}

export type TraceEvent =
  | { t: number; kind: 'call'; side: EndpointName; call: UserCall; label: string; message?: string }
  | {
      t: number;
      kind: 'send';
      side: EndpointName;
      id: number;
      segment: Segment;
      arrives: number | null;
      fate: 'delivered' | 'dropped' | 'duplicated';
      rule?: string;
      retransmission: boolean;
    }
  | {
      t: number;
      kind: 'receive';
      side: EndpointName;
      id: number;
      segment: Segment;
      rows: string[];
      note?: string;
    }
  | { t: number; kind: 'state'; side: EndpointName; from: TcpState; to: TcpState; rows: string[] }
  | {
      t: number;
      kind: 'timer';
      side: EndpointName;
      timer: TimerName;
      action: 'start' | 'stop' | 'expire';
      deadline?: number;
    }
  | { t: number; kind: 'message'; side: EndpointName; message: string };

export interface Trace {
  scenario: string;
  profile: string;
  rules: NetworkRules;
  initial: Record<EndpointName, TcpState>;
  events: TraceEvent[];
  final: Record<EndpointName, TcpState>;
  /** States each side entered, in order, starting with the initial one. */
  path: Record<EndpointName, TcpState[]>;
  endedAt: number;
}

export interface SimulationInput {
  scenario: string;
  profile?: Profile;
  rules: NetworkRules;
  script: ScriptStep[];
  /** Initial sequence numbers per side (real numbers, chosen to be readable). */
  iss?: Partial<Record<EndpointName, number>>;
  /** The side re-listens after its connection ends (a server): port reuse during TIME-WAIT. */
  relisten?: Partial<Record<EndpointName, boolean>>;
  /** Stop the simulation after this much virtual time (ms). */
  limit?: number;
}

type Pending =
  | { t: number; order: number; type: 'call'; side: EndpointName; call: UserCall }
  | { t: number; order: number; type: 'arrive'; side: EndpointName; id: number; segment: Segment }
  | { t: number; order: number; type: 'timer'; side: EndpointName; timer: TimerName; deadline: number };

type DistOmit<T> = T extends unknown ? Omit<T, 'order'> : never;

const OTHER: Record<EndpointName, EndpointName> = { A: 'B', B: 'A' };

export function callLabel(call: UserCall): string {
  switch (call.call) {
    case 'OPEN':
      return call.mode === 'passive' ? 'listen()' : 'connect()';
    case 'SEND':
      return `send(${call.bytes})`;
    case 'RECEIVE':
      return 'recv()';
    case 'CLOSE':
      return call.full ? 'close()' : 'shutdown(SHUT_WR)';
    case 'ABORT':
      return 'abort (SO_LINGER 0)';
    case 'STATUS':
      return 'status';
  }
}

export function simulate(input: SimulationInput): Trace {
  const profile = input.profile ?? PROFILES.rfc;
  const rules = input.rules;
  const random = prng(rules.seed);
  const counter = new RuleCounter();
  const limit = input.limit ?? 30 * 60 * 1000;
  const tcbs: Record<EndpointName, Tcb> = { A: newTcb(profile), B: newTcb(profile) };
  tcbs.A.iss = input.iss?.A ?? 1000;
  tcbs.B.iss = input.iss?.B ?? 5000;
  const events: TraceEvent[] = [];
  const path: Record<EndpointName, TcpState[]> = { A: ['CLOSED'], B: ['CLOSED'] };
  let order = 0;
  let segId = 0;
  const queue: Pending[] = [];
  const push = (p: DistOmit<Pending>): void => {
    queue.push({ ...p, order: order++ } as Pending);
  };
  for (const s of input.script) push({ t: s.at, type: 'call', side: s.side, call: s.call });
  const sent: Record<EndpointName, Map<string, number>> = { A: new Map(), B: new Map() };

  const transmit = (side: EndpointName, seg: Segment, now: number): void => {
    const id = ++segId;
    // The same sequence slots with the same flags: a retransmission, even when the ACK it carries moved on. A
    // segment with no slots (a bare ACK, a RST) is one only if it is the same segment again, ACK number included.
    const slots = seg.flags.syn || seg.flags.fin || seg.len > 0;
    const key = `${seg.seq}/${slots ? '' : seg.ack}/${seg.len}/${seg.flags.syn}${seg.flags.fin}${seg.flags.rst}${seg.flags.ack}`;
    const retransmission = sent[side].has(key);
    sent[side].set(key, id);
    let dropRule: string | undefined;
    for (const m of rules.drop) if (counter.matches(m, side, seg)) dropRule ??= m.text;
    if (!dropRule && rules.loss > 0 && random() < rules.loss)
      dropRule = `loss ${Math.round(rules.loss * 100)}%`;
    let extra = 0;
    for (const m of rules.reorder) if (counter.matches(m, side, seg)) extra = rules.reorderBy;
    let dup = false;
    for (const m of rules.duplicate) if (counter.matches(m, side, seg)) dup = true;
    const arrives = now + rules.delay + extra;
    const ev: TraceEvent = {
      t: now,
      kind: 'send',
      side,
      id,
      segment: seg,
      arrives: dropRule ? null : arrives,
      fate: dropRule ? 'dropped' : dup ? 'duplicated' : 'delivered',
      retransmission,
    };
    if (dropRule) ev.rule = dropRule;
    events.push(ev);
    if (!dropRule) {
      push({ t: arrives, type: 'arrive', side: OTHER[side], id, segment: seg });
      if (dup) push({ t: arrives + 1, type: 'arrive', side: OTHER[side], id, segment: seg });
    }
  };

  const apply = (side: EndpointName, event: TcpEvent, now: number): { rows: string[]; note?: string } => {
    const before = tcbs[side];
    let prev = before;
    // A server socket that re-listens: a CLOSED endpoint behaves as LISTEN for a new SYN.
    if (before.state === 'CLOSED' && input.relisten?.[side] && event.kind === 'segment') {
      prev = { ...newTcb(profile), state: 'LISTEN', iss: (before.sndNxt + 64000) >>> 0 };
      events.push({
        t: now,
        kind: 'state',
        side,
        from: 'CLOSED',
        to: 'LISTEN',
        rows: ['CLOSED|OPEN_PASSIVE'],
      });
      path[side].push('LISTEN');
    }
    const r = step(prev, event, now, profile);
    tcbs[side] = r.tcb;
    if (r.tcb.state !== prev.state) {
      events.push({ t: now, kind: 'state', side, from: prev.state, to: r.tcb.state, rows: r.rows });
      path[side].push(r.tcb.state);
    }
    if (r.message) events.push({ t: now, kind: 'message', side, message: r.message });
    diffTimers(side, prev.timers, r.timers, now);
    for (const seg of r.segments) transmit(side, seg, now);
    const out: { rows: string[]; note?: string } = { rows: r.rows };
    if (r.note) out.note = r.note;
    return out;
  };

  const diffTimers = (side: EndpointName, before: Timers, after: Timers, now: number): void => {
    for (const name of Object.keys(after) as TimerName[]) {
      const d = after[name];
      if (d === undefined || before[name] === d) continue;
      events.push({ t: now, kind: 'timer', side, timer: name, action: 'start', deadline: d });
      push({ t: d, type: 'timer', side, timer: name, deadline: d });
    }
    for (const name of Object.keys(before) as TimerName[]) {
      if (after[name] === undefined)
        events.push({ t: now, kind: 'timer', side, timer: name, action: 'stop' });
    }
  };

  let now = 0;
  while (queue.length > 0) {
    queue.sort((x, y) => x.t - y.t || x.order - y.order);
    const next = queue.shift() as Pending;
    if (next.t > limit) break;
    // Stale deadline: the timer was stopped or re-armed since.
    if (next.type === 'timer' && tcbs[next.side].timers[next.timer] !== next.deadline) continue;
    now = next.t;
    if (next.type === 'call') {
      const ev: TraceEvent = {
        t: now,
        kind: 'call',
        side: next.side,
        call: next.call,
        label: callLabel(next.call),
      };
      events.push(ev);
      apply(next.side, { kind: 'user', user: next.call }, now);
    } else if (next.type === 'arrive') {
      const idx = events.length;
      const r = apply(next.side, { kind: 'segment', segment: next.segment }, now);
      const recv: TraceEvent = {
        t: now,
        kind: 'receive',
        side: next.side,
        id: next.id,
        segment: next.segment,
        rows: r.rows,
      };
      if (r.note) recv.note = r.note;
      events.splice(idx, 0, recv);
    } else {
      events.push({ t: now, kind: 'timer', side: next.side, timer: next.timer, action: 'expire' });
      const t = { ...tcbs[next.side], timers: { ...tcbs[next.side].timers } };
      delete t.timers[next.timer];
      tcbs[next.side] = t;
      apply(next.side, { kind: 'timeout', timer: next.timer }, now);
    }
  }
  return {
    scenario: input.scenario,
    profile: profile.name,
    rules,
    initial: { A: 'CLOSED', B: 'CLOSED' },
    events,
    final: { A: tcbs.A.state, B: tcbs.B.state },
    path,
    endedAt: now,
  };
}
