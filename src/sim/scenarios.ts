/**
 * Named scenarios: the textbook situations of RFC 9293 §3.5-§3.6 and what loss does to them. A is the client
 * (active opener), B the server; each scenario is a script of user calls plus the network rules that make it.
 */
import type { UserCall } from '../fsm/types.ts';
import { defaultRules, type NetworkRules, parseMatcher } from './network.ts';
import type { ScriptStep } from './simulator.ts';

export interface Scenario {
  name: string;
  title: string;
  /** What it shows, one or two sentences. */
  description: string;
  script: ScriptStep[];
  /** Network rules the scenario needs (merged with the user's). */
  rules?: Partial<Pick<NetworkRules, 'drop' | 'delay'>>;
  relisten?: { A?: boolean; B?: boolean };
  /** Where the active closer's TIME-WAIT is expected, for docs and tests. */
  limit?: number;
}

const LISTEN: UserCall = { call: 'OPEN', mode: 'passive' };
const CONNECT: UserCall = { call: 'OPEN', mode: 'active' };
const CLOSE: UserCall = { call: 'CLOSE', full: true };
const SHUTDOWN: UserCall = { call: 'CLOSE' };

const open = (): ScriptStep[] => [
  { at: 0, side: 'B', call: LISTEN },
  { at: 0, side: 'A', call: CONNECT },
];

const drop = (...rules: string[]) => ({ drop: rules.map((r) => parseMatcher(r)) });

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'handshake',
    title: 'Three-way handshake',
    description: 'A connects to a listening B: SYN, SYN-ACK, ACK (RFC 9293 §3.5 Figure 6).',
    script: open(),
  },
  {
    name: 'simultaneous-open',
    title: 'Simultaneous open',
    description: 'Both ends connect at once; their SYNs cross and both pass through SYN-RECEIVED (Figure 7).',
    script: [
      { at: 0, side: 'A', call: CONNECT },
      { at: 0, side: 'B', call: CONNECT },
    ],
  },
  {
    name: 'active-close',
    title: 'Active close (A closes first)',
    description:
      'After the handshake A closes: FIN-WAIT-1, FIN-WAIT-2, then TIME-WAIT for 2*MSL; B goes CLOSE-WAIT, LAST-ACK, CLOSED.',
    script: [...open(), { at: 100, side: 'A', call: CLOSE }, { at: 200, side: 'B', call: CLOSE }],
  },
  {
    name: 'passive-close',
    title: 'Passive close (the peer closes first)',
    description:
      'B closes first; A sees the FIN, sits in CLOSE-WAIT until its application closes, then LAST-ACK.',
    script: [...open(), { at: 100, side: 'B', call: CLOSE }, { at: 200, side: 'A', call: CLOSE }],
  },
  {
    name: 'simultaneous-close',
    title: 'Simultaneous close',
    description:
      'Both ends close at the same moment; the FINs cross, both go FIN-WAIT-1, CLOSING, TIME-WAIT (RFC 9293 §3.6 Figure 13).',
    script: [...open(), { at: 100, side: 'A', call: CLOSE }, { at: 100, side: 'B', call: CLOSE }],
  },
  {
    name: 'half-close',
    title: 'Half-close',
    description:
      'A shuts down its sending side but keeps reading; B sends more data in CLOSE-WAIT, then closes.',
    script: [
      ...open(),
      { at: 100, side: 'A', call: SHUTDOWN },
      { at: 200, side: 'B', call: { call: 'SEND', bytes: 100 } },
      { at: 250, side: 'A', call: { call: 'RECEIVE' } },
      { at: 300, side: 'B', call: CLOSE },
    ],
  },
  {
    name: 'abort',
    title: 'Abort (RST)',
    description:
      'A aborts an established connection (SO_LINGER 0): one RST, both ends CLOSED at once, no TIME-WAIT.',
    script: [...open(), { at: 100, side: 'A', call: { call: 'ABORT' } }],
  },
  {
    name: 'connection-refused',
    title: 'Connection refused',
    description: 'Nothing listens on B: the SYN draws RST,ACK and A goes straight back to CLOSED.',
    script: [{ at: 0, side: 'A', call: CONNECT }],
  },
  {
    name: 'lost-syn',
    title: 'Lost SYN',
    description:
      'The first SYN is lost; A retransmits it when the retransmission timer (initial RTO) expires.',
    script: open(),
    rules: drop('A->B SYN #1'),
  },
  {
    name: 'lost-syn-ack',
    title: 'Lost SYN-ACK',
    description:
      'The SYN-ACK is lost: both ends retransmit (A its SYN, B its SYN-ACK) until one gets through.',
    script: open(),
    rules: drop('B->A SYN+ACK #1'),
  },
  {
    name: 'lost-final-ack',
    title: 'Lost final ACK of the handshake',
    description:
      'A is ESTABLISHED but B stays in SYN-RECEIVED until its SYN-ACK retransmission draws a fresh ACK.',
    script: open(),
    rules: drop('A->B ACK #1'),
  },
  {
    name: 'lost-fin',
    title: 'Lost FIN',
    description: "A's FIN is lost: A stays in FIN-WAIT-1 and retransmits the FIN after an RTO.",
    script: [...open(), { at: 100, side: 'A', call: CLOSE }, { at: 1500, side: 'B', call: CLOSE }],
    rules: drop('A->B FIN #1'),
  },
  {
    name: 'lost-last-ack',
    title: 'Lost last ACK (why TIME-WAIT exists)',
    description:
      "A's ACK of B's FIN is lost: B in LAST-ACK retransmits its FIN, and A, still in TIME-WAIT, ACKs it again and restarts 2*MSL.",
    script: [...open(), { at: 100, side: 'A', call: CLOSE }, { at: 200, side: 'B', call: CLOSE }],
    rules: drop('A->B ACK #2'),
  },
  {
    name: 'syn-timeout',
    title: 'SYN timeout',
    description:
      'B never answers: A retransmits the SYN with exponential backoff and gives up (Linux ~127 s, BSD 75 s, Windows 21 s).',
    script: [{ at: 0, side: 'A', call: CONNECT }],
    rules: drop('A->B *'),
  },
  {
    name: 'fin-wait-2-timeout',
    title: 'FIN-WAIT-2 timeout',
    description:
      'A closes, B acknowledges but its application never closes: real stacks drop the orphaned FIN-WAIT-2 after a timer (Linux 60 s, FreeBSD 10 min); RFC 9293 waits forever.',
    script: [...open(), { at: 100, side: 'A', call: CLOSE }],
    limit: 15 * 60 * 1000,
  },
  {
    name: 'port-reuse-during-time-wait',
    title: 'Port reuse during TIME-WAIT',
    description:
      'B (the server) closes first and holds TIME-WAIT; A reconnects from the same port with a higher ISS. Linux/BSD accept the SYN as a new incarnation; RFC 9293 answers with an ACK, A resets, and the retried SYN succeeds.',
    script: [
      ...open(),
      { at: 100, side: 'B', call: CLOSE },
      { at: 200, side: 'A', call: CLOSE },
      { at: 1000, side: 'A', call: { call: 'OPEN', mode: 'active', iss: 900000 } },
    ],
    relisten: { B: true },
  },
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function scenarioRules(s: Scenario, user: NetworkRules = defaultRules()): NetworkRules {
  return {
    ...user,
    delay: user.delay,
    drop: [...(s.rules?.drop ?? []), ...user.drop],
  };
}
