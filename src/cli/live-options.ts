import { type Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { LIVE_READERS, type LiveReader } from '../sources/live.ts';

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
  reader: LiveReader;
};

/** Adds the live-source flags: -p, --netns NAME, --ns-of PID, --no-kernel, --no-backlog, --reader. */
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
    .option('--no-backlog', 'do not run `ss` for the accept backlog of listeners (the /proc reader)')
    .addOption(
      new Option(
        '--reader <reader>',
        'read sockets over netlink (sock_diag, as ss) or /proc; auto = netlink where it loads',
      )
        .choices(LIVE_READERS)
        .default('auto' as const),
    );
  // extra-typings computes the same option values through nested conditional types that do not simplify to the
  // named type; the cast only names them.
  return added as unknown as Command<Args, Opts & LiveOptionValues, Globals>;
}
