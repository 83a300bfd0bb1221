import { type Command, Option } from '@commander-js/extra-typings';
import { type LiveSourceOptions, takeLiveSnapshot } from '../../sources/live.ts';
import { EXPLAIN_LANGS, type Lang } from '../../states/explain/types.ts';
import { parseDuration } from '../duration.ts';
import { addLiveOptions } from '../live-options.ts';
import { runAction } from '../run.ts';
import { addViewOptions, emitWithFindings, type ViewOptions } from '../view.ts';

interface MainOptions extends ViewOptions, LiveSourceOptions {
  interval?: string;
  findings: boolean;
  lang: Lang;
}

/** The bare `tcpstate`: this machine's sockets — summary, top services/peers/processes, findings. */
export function registerSnapshot(program: Command): void {
  addViewOptions(addLiveOptions(program))
    .option(
      '--interval <duration>',
      'take two snapshots this far apart (e.g. 5s) so rate rules and socket ages work',
    )
    .option('--no-findings', 'skip the diagnoses')
    .addOption(
      new Option('--lang <lang>', 'language of the findings').choices(EXPLAIN_LANGS).default('en' as const),
    );
  program.action((_args, command) =>
    runAction(async () => {
      const options = (command as unknown as { opts(): MainOptions }).opts();
      const intervalMs =
        options.interval === undefined ? undefined : parseDuration(options.interval, '--interval');
      let previous: Awaited<ReturnType<typeof takeLiveSnapshot>> | undefined;
      if (intervalMs !== undefined) {
        previous = await takeLiveSnapshot(options);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      const snapshot = await takeLiveSnapshot(options);
      emitWithFindings(snapshot, options, previous);
      return 0;
    }),
  );
}
