/**
 * tcpstate's library API: everything the CLI does, as typed functions over one data type, the Snapshot.
 */

export * from './analysis/summary.ts';
export * from './errors.ts';
export * from './fsm/index.ts';
export type * from './model/snapshot.ts';
export { renderSequenceMermaid } from './render/sequence/mermaid.ts';
export { renderSequenceSvg } from './render/sequence/svg.ts';
export { renderSequenceText } from './render/sequence/text.ts';
export {
  renderStateDot,
  renderStateMermaid,
  renderStateSvg,
  renderStateText,
} from './render/state-diagram/render.ts';
export * from './sim/index.ts';
export { readProcSockets } from './sources/proc/live.ts';
export { decodeProcAddress, formatIpv6, parseProcNetTcp } from './sources/proc/proc-net-tcp.ts';
export * from './states/states.ts';
