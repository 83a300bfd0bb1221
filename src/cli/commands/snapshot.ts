import type { Command } from '@commander-js/extra-typings';
import { summarize } from '../../analysis/summary.ts';
import { readProcSockets } from '../../sources/proc/live.ts';
import { stateName, TCP_STATES } from '../../states/states.ts';
import { runAction } from '../run.ts';

/** The bare `tcpstate`: this machine's sockets, summary first. (Grows into the full main view.) */
export function registerSnapshot(program: Command): void {
  program.option('--json', 'print JSON').action((options) =>
    runAction(async () => {
      const snapshot = await readProcSockets();
      const summary = summarize(snapshot);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ summary, sockets: snapshot.sockets }, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${summary.total} TCP sockets\n`);
      for (const state of TCP_STATES) {
        const n = summary.byState[state];
        if (n > 0) process.stdout.write(`  ${stateName(state).padEnd(13)} ${n}\n`);
      }
      return 0;
    }),
  );
}
