import { expandStates } from '../analysis/filter.ts';
import type { SocketTable } from '../model/socket-table.ts';
import type { TcpState } from '../states/states.ts';
import type { TrackedConnection } from '../track/tracker.ts';

/**
 * What watch's filter (`-f close-wait`, `-f :8080`, or typed after `f`) keeps: a state (or a group such as
 * `connected`) or a port, local or remote, as `--state` and `--port` mean them. It reads a look's table and the
 * tracked connections' states and ports, so a filtered look of 100k sockets builds no socket object to filter.
 */
export interface WatchFilter {
  /** Row i of a look's table is kept. */
  row(table: SocketTable, i: number): boolean;
  /** A tracked connection (as of the last look) is kept. */
  connection(c: TrackedConnection): boolean;
}

/** The filter a typed word means; undefined for an empty one; a UsageError (`--state: ...`) for no state. */
export function parseWatchFilter(text: string): WatchFilter | undefined {
  const word = text.trim();
  if (!word) return undefined;
  const port = word.match(/^:?(\d{1,5})$/);
  if (port) {
    const p = Number(port[1]);
    return {
      row: (table, i) => table.localPort(i) === p || table.remotePort(i) === p,
      connection: (c) => c.localPort === p || c.remotePort === p,
    };
  }
  const states: ReadonlySet<TcpState> = expandStates([word], '--state');
  return {
    row: (table, i) => states.has(table.state(i)),
    connection: (c) => states.has(c.state),
  };
}
