import { type Command, Option } from '@commander-js/extra-typings';
import { expandStates } from '../../analysis/filter.ts';
import { type LiveSourceOptions, takeLiveSnapshot } from '../../sources/live.ts';
import { filterBytecode } from '../../sources/netlink/bytecode.ts';
import { EXPLAIN_LANGS, type Lang } from '../../states/explain/types.ts';
import { TCP_STATES, type TcpState } from '../../states/states.ts';
import { parseDuration } from '../duration.ts';
import { addLiveOptions } from '../live-options.ts';
import { runAction } from '../run.ts';
import { addViewOptions, emitWithFindings, type ViewOptions } from '../view.ts';

interface MainOptions extends ViewOptions, LiveSourceOptions {
  interval?: string;
  findings: boolean;
  lang: Lang;
}

/** The states `-s`/`-x` keep, to ask the kernel for only those; undefined when neither is given. */
function pushedStates(options: ViewOptions): Set<TcpState> | undefined {
  if (!options.state?.length && !options.exclude?.length) return undefined;
  const keep = options.state?.length ? expandStates(options.state, '--state') : new Set(TCP_STATES);
  if (options.exclude?.length) for (const s of expandStates(options.exclude, '--exclude')) keep.delete(s);
  return keep;
}

/** The bare `tcpstate`: this machine's sockets — summary, top services/peers/processes, findings. */
export function registerSnapshot(program: Command): void {
  addViewOptions(addLiveOptions(program))
    .option(
      '--interval <duration>',
      'take two snapshots this far apart (e.g. 5s) so rate rules and socket ages work',
    )
    .option(
      '-i, --info',
      'tcp_info per socket like ss -i: rtt, cwnd, retransmissions, idle times (netlink reader)',
    )
    .option('--no-findings', 'skip the diagnoses')
    .addOption(
      new Option('--lang <lang>', 'language of the findings').choices(EXPLAIN_LANGS).default('en' as const),
    );
  program.action((_args, command) =>
    runAction(async () => {
      const options = (command as unknown as { opts(): MainOptions }).opts();
      const intervalMs =
        options.interval === undefined
          ? undefined
          : parseDuration(options.interval, '--interval', { timer: true });
      // -s/-x go to the kernel with the netlink reader: `-s close-wait` among 100k sockets reads a handful.
      // --port and the port conditions of -f go as a bytecode program the kernel runs on each socket (as ss does).
      const live: LiveSourceOptions = {
        ...options,
        states: pushedStates(options),
        bytecode: filterBytecode({ ports: options.port, expression: options.filter }),
      };
      let previous: Awaited<ReturnType<typeof takeLiveSnapshot>> | undefined;
      if (intervalMs !== undefined) {
        previous = await takeLiveSnapshot(live);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      const snapshot = await takeLiveSnapshot(live);
      await emitWithFindings(snapshot, options, previous);
      return 0;
    }),
  );
}
