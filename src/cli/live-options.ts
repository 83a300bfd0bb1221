import { type Command, InvalidArgumentError, type OptionValues } from '@commander-js/extra-typings';
import { UsageError } from '../errors.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { readLiveSnapshot } from '../sources/proc/live.ts';

/** The options that choose and shape a live snapshot, shared by tcpstate, check, watch, record and serve. */
export interface LiveSourceOptions {
  /** `-p`: attribute sockets to processes. */
  processes?: boolean | undefined;
  /** `--netns NAME`: a named network namespace (`ip netns`). */
  netns?: string | undefined;
  /** `--ns-of PID`: the network namespace of a process (a container's sockets, seen from the host). */
  nsOf?: number | undefined;
  /** `--no-kernel` sets false: skip counters, sockstat and sysctls. */
  kernel?: boolean | undefined;
  /** `--no-backlog` sets false: do not ask `ss` for listener backlogs. */
  backlog?: boolean | undefined;
}

function parsePid(value: string): number {
  const pid = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(pid) || pid <= 0) {
    throw new InvalidArgumentError('expected a process id (a positive integer).');
  }
  return pid;
}

/** The option values the live flags add, as commander parses them. */
// A type alias rather than an interface so it stays assignable to Record<string, unknown>.
export type LiveOptionValues = {
  processes?: true | undefined;
  netns?: string | undefined;
  nsOf?: number | undefined;
  kernel: boolean;
  backlog: boolean;
};

/** Adds the live-source flags to a command: -p, --netns NAME, --ns-of PID, --no-kernel, --no-backlog. */
export function addLiveOptions<
  Args extends unknown[],
  Opts extends OptionValues,
  Globals extends OptionValues,
>(command: Command<Args, Opts, Globals>): Command<Args, Opts & LiveOptionValues, Globals> {
  const added = command
    .option('-p, --processes', 'show the process owning each socket (from /proc/<pid>/fd; root sees all)')
    .option('--netns <name>', 'read the named network namespace (as in `ip netns list`)')
    .option('--ns-of <pid>', "read the network namespace of process PID (a container's sockets)", parsePid)
    .option('--no-kernel', 'skip kernel counters, sockstat and sysctls')
    .option('--no-backlog', 'do not run `ss` for the accept backlog of listeners');
  // extra-typings computes the same option values through nested conditional types that do not simplify to the
  // named type; the cast only names them.
  return added as unknown as Command<Args, Opts & LiveOptionValues, Globals>;
}

/** Takes one live snapshot as the flags ask. */
export async function takeLiveSnapshot(options: LiveSourceOptions = {}): Promise<Snapshot> {
  // Off Linux there is no /proc/net/tcp: run the system's own netstat (and sockstat) through the text parsers.
  if (process.platform !== 'linux') {
    if (options.netns !== undefined || options.nsOf !== undefined) {
      throw new UsageError('--netns and --ns-of need Linux network namespaces');
    }
    const { readNativeSnapshot } = await import('../sources/native/native.ts');
    return readNativeSnapshot({ platform: process.platform });
  }
  return readLiveSnapshot(options);
}
