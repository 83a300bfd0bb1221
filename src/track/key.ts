import type { Socket } from '../model/snapshot.ts';
import type { TcpState } from '../states/states.ts';

/**
 * The identity of a connection across snapshots: its 4-tuple. The inode is not part of the key because Linux
 * drops it to 0 when the owning file is closed (FIN_WAIT_2, TIME_WAIT, orphans), which would split one
 * connection in two; instead the tracker uses a changed non-zero inode to spot a reused 4-tuple.
 */
export function connectionKey(socket: Socket): string {
  const l = socket.local;
  const r = socket.remote;
  return `${socket.family}|${l.address}|${l.port ?? l.service ?? '*'}|${r.address}|${r.port ?? r.service ?? '*'}`;
}

// A connection can move forward through the states but never back to opening once it has started closing; seeing
// that on one 4-tuple means the old connection ended and a new one took its place between two looks.
const CLOSING: ReadonlySet<TcpState> = new Set([
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSED',
]);
const OPENING: ReadonlySet<TcpState> = new Set(['LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);

/** True when `next` on the same 4-tuple must be a new connection rather than the old one moving on. */
export function isReuse(previous: Socket, next: Socket): boolean {
  if (CLOSING.has(previous.state) && OPENING.has(next.state)) return true;
  const a = previous.inode ?? 0;
  const b = next.inode ?? 0;
  return a !== 0 && b !== 0 && a !== b;
}
