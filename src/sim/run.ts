/** Run a named scenario with a profile and the user's network rules. */
import { UsageError } from '../errors.ts';
import { getProfile, PROFILE_NAMES } from '../fsm/profiles.ts';
import type { NetworkRules } from './network.ts';
import { findScenario, SCENARIOS, type Scenario, scenarioRules } from './scenarios.ts';
import { type SimulationInput, simulate, type Trace } from './simulator.ts';

export function runScenario(
  name: string,
  profileName = 'rfc',
  rules?: NetworkRules,
): { scenario: Scenario; trace: Trace } {
  const scenario = findScenario(name);
  if (!scenario)
    throw new UsageError(`unknown scenario '${name}' (one of: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const profile = getProfile(profileName);
  if (!profile)
    throw new UsageError(`unknown profile '${profileName}' (one of: ${PROFILE_NAMES.join(', ')})`);
  const merged = scenarioRules(scenario, rules);
  // Scripts are written for the default 10 ms one-way delay; a slower network stretches them so that, say, the
  // close still comes after the handshake.
  const scale = Math.max(1, merged.delay / 10);
  const input: SimulationInput = {
    scenario: scenario.name,
    profile,
    rules: merged,
    script: scenario.script.map((s) => ({ ...s, at: Math.round(s.at * scale) })),
  };
  if (scenario.relisten) input.relisten = scenario.relisten;
  if (scenario.limit !== undefined) input.limit = scenario.limit;
  return { scenario, trace: simulate(input) };
}
