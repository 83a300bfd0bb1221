import { TCP_STATES, type TcpState } from '../states.ts';
import { REFERENCES, SPELLINGS, TIMERS } from './facts.ts';
import { TEXT_EN } from './text-en.ts';
import { TEXT_ZH } from './text-zh.ts';
import type { Lang, StateExplanation } from './types.ts';

export * from './types.ts';

/** The full explanation of a state: facts (timers, spellings, references) and the words in both languages. */
export function explainState(state: TcpState): StateExplanation {
  return {
    state,
    spellings: SPELLINGS[state],
    timers: TIMERS[state],
    text: { en: TEXT_EN[state], zh: TEXT_ZH[state] },
    references: REFERENCES[state],
  };
}

/** All eleven, in the RFC's order. */
export function explainAll(): StateExplanation[] {
  return TCP_STATES.map(explainState);
}

/** Just the text of one language, for UIs that show one. */
export function stateText(state: TcpState, lang: Lang = 'en') {
  return explainState(state).text[lang];
}
