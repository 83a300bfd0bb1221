/** The two-endpoint simulator: network rules, named scenarios and traces. */
export {
  defaultRules,
  type EndpointName,
  type NetworkRules,
  parseMatcher,
  type SegmentMatcher,
} from './network.ts';
export { runScenario } from './run.ts';
export { findScenario, SCENARIOS, type Scenario } from './scenarios.ts';
export { type ScriptStep, type SimulationInput, simulate, type Trace, type TraceEvent } from './simulator.ts';
