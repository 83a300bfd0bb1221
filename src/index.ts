/**
 * tcpstate's library API: everything the CLI does, as typed functions over one data type, the Snapshot.
 */

export * from './analysis/summary.ts';
export * from './errors.ts';
export type * from './model/snapshot.ts';
export { readProcSockets } from './sources/proc/live.ts';
export { decodeProcAddress, formatIpv6, parseProcNetTcp } from './sources/proc/proc-net-tcp.ts';
export * from './states/states.ts';
