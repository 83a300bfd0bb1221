/**
 * The filter flags every command that shows sockets or their changes takes (-s, -x, --port, --process, -f): one
 * definition, so the views and `trace` cannot drift apart. Only the help's subject differs.
 */
import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../errors.ts';

export const collect = (value: string, previous: string[] = []) => [...previous, value];

export const collectPort = (value: string, previous: number[] = []) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port: '${value}' is not a port number`);
  return [...previous, n];
};

export const positiveInt = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag}: '${value}' is not a positive whole number`);
  return n;
};

const HELP = {
  sockets: {
    state:
      'keep only these states or groups (repeatable, comma-separated): time-wait, established, connected, synchronized, bucket, big',
    exclude: 'drop these states or groups (repeatable)',
    port: 'keep sockets whose local or remote port is PORT (repeatable)',
    process: 'keep sockets owned by a process (needs -p for live data)',
    filter: "ss-style expression, e.g. 'dport = :443 or ( sport >= :1024 and dst 10.0.0.0/8 )'",
  },
  changes: {
    state: 'keep changes into or out of these states or groups (repeatable, comma-separated)',
    exclude: 'drop changes into or out of these states (repeatable)',
    port: 'keep changes whose local or remote port is PORT (repeatable)',
    process: 'keep changes of sockets owned by a process',
    filter: "ss-style expression, e.g. 'dport = :443 or sport = :8080'",
  },
} as const;

export function addFilterOptions<
  C extends Command<unknown[], Record<string, unknown>, Record<string, unknown>>,
>(command: C, of: keyof typeof HELP): C {
  const help = HELP[of];
  command
    .option('-s, --state <state>', help.state, collect)
    .option('-x, --exclude <state>', help.exclude, collect)
    .option('--port <port>', help.port, collectPort)
    .option('--process <name|pid>', help.process)
    .option('-f, --filter <expr>', help.filter);
  return command;
}
