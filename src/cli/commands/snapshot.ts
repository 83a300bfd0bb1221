import type { Command } from '@commander-js/extra-typings';
import { addLiveOptions, type LiveSourceOptions, takeLiveSnapshot } from '../live-options.ts';
import { runAction } from '../run.ts';
import { addViewOptions, emitSnapshot, type ViewOptions } from '../view.ts';

/** The bare `tcpstate`: this machine's sockets — summary, top services/peers/processes, findings. */
export function registerSnapshot(program: Command): void {
  addViewOptions(addLiveOptions(program));
  program.action((_args, command) =>
    runAction(async () => {
      const options = (command as unknown as { opts(): ViewOptions & LiveSourceOptions }).opts();
      const snapshot = await takeLiveSnapshot(options);
      emitSnapshot(snapshot, options);
      return 0;
    }),
  );
}
