import type { Command } from '@commander-js/extra-typings';
import type { Snapshot } from '../model/snapshot.ts';
import { readProcSockets } from '../sources/proc/live.ts';

/** The options that choose and shape a live snapshot, shared by tcpstate, check, watch, record and serve. */
export interface LiveSourceOptions {
  processes?: boolean;
  netns?: string;
  nsOf?: string;
}

/** Adds the live-source flags to a command. (Owned by the live-source work; grows -p, --netns, --ns-of.) */
export function addLiveOptions<
  C extends Command<unknown[], Record<string, unknown>, Record<string, unknown>>,
>(command: C): C {
  return command;
}

/** Takes one live snapshot as the flags ask. */
export async function takeLiveSnapshot(_options: LiveSourceOptions = {}): Promise<Snapshot> {
  return readProcSockets();
}
