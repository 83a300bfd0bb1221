import { type StateExplanation as ExplainData, explainState } from '../states/explain/index.ts';
import { stateName, TCP_STATES, type TcpState } from '../states/states.ts';
import { FIGURE_EDGES } from '../states/transitions.ts';

/** What the dashboard shows when a state is clicked; `details` carries src/states' full explanation. */
export interface ApiStateExplanation {
  state: TcpState;
  /** RFC spelling, `TIME-WAIT`. */
  name: string;
  /** One paragraph: what the state means and which side is in it. */
  summary: string;
  /** States it is entered from and left to, per RFC 9293 Figure 5. */
  from: TcpState[];
  to: TcpState[];
  /** The timer that bounds it, if any. */
  timer?: string;
  /** The full explanation: text in English and Chinese (meaning, side, what many mean, misconceptions), timers per stack, spellings, references. */
  details?: {
    text: ExplainData['text'];
    timers: ExplainData['timers'];
    spellings: ExplainData['spellings'];
    references: string[];
  };
}

export type StateExplainer = (state: TcpState) => ApiStateExplanation;

/** The explanation of a state for the dashboard, from src/states' explain data (English and Chinese). */
export function stateExplanation(state: TcpState): ApiStateExplanation {
  const full = explainState(state);
  const linux = full.timers.linux;
  return {
    state,
    name: stateName(state, 'rfc'),
    summary: full.text.en.summary,
    from: FIGURE_EDGES.filter((e) => e.to === state).map((e) => e.from),
    to: FIGURE_EDGES.filter((e) => e.from === state).map((e) => e.to),
    timer: `${full.text.en.timer} Linux: ${linux.value}${linux.setting ? ` (${linux.setting})` : ''}.`,
    details: { text: full.text, timers: full.timers, spellings: full.spellings, references: full.references },
  };
}

export function allExplanations(explain: StateExplainer): ApiStateExplanation[] {
  return TCP_STATES.map((s) => explain(s));
}
