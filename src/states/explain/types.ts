import type { TcpState } from '../states.ts';

export const EXPLAIN_LANGS = ['en', 'zh'] as const;
export type Lang = (typeof EXPLAIN_LANGS)[number];

export const STACKS = ['rfc', 'linux', 'freebsd', 'macos', 'windows'] as const;
export type Stack = (typeof STACKS)[number];

/** The timer that bounds a state on one stack. Values are facts with their source, not prose. */
export interface TimerFact {
  /** `60 s`, `2 x MSL = 4 min`, `none`: short, language-neutral. */
  value: string;
  /** The knob that changes it: a sysctl, a registry value, a compile-time constant. */
  setting?: string;
  /** Where the value comes from (RFC section, source file, documentation). */
  source: string;
}

/** The words of one explanation in one language. */
export interface StateText {
  /** One line: what the state means. */
  summary: string;
  /** What it means, in a few sentences. */
  meaning: string;
  /** Who is in it: client or server, active or passive closer. */
  side: string;
  /** Events that lead into the state (with the segment sent). */
  enteredBy: string[];
  /** Events that lead out of it. */
  leftBy: string[];
  /** Name of the timer that bounds the state, in words. */
  timer: string;
  /** What many sockets in this state usually mean in practice. */
  manyMeans: string;
  misconceptions: string[];
}

export interface StateExplanation {
  state: TcpState;
  /** How each source spells it (netstat(8), ss(8), FreeBSD netstat(1), Microsoft's netstat documentation). */
  spellings: Record<string, string>;
  timers: Record<Stack, TimerFact>;
  text: Record<Lang, StateText>;
  references: string[];
}
