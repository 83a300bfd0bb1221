import { UsageError } from '../errors.ts';
import type { Socket } from '../model/snapshot.ts';
import { TCP_STATES } from '../states/states.ts';
import { addressBytes } from './address.ts';
import { processLabel } from './groups.ts';

export const SORT_KEYS = [
  'state',
  'local',
  'remote',
  'recv-q',
  'send-q',
  'timer',
  'process',
  'port',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const STATE_ORDER = new Map(TCP_STATES.map((s, i) => [s, i]));

function compareAddress(a: string, b: string): number {
  const x = addressBytes(a);
  const y = addressBytes(b);
  if (x && y) {
    if (x.length !== y.length) return x.length - y.length;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  }
  return a.localeCompare(b);
}

export function parseSortKey(word: string): SortKey {
  const key = word.toLowerCase().replace('_', '-');
  if ((SORT_KEYS as readonly string[]).includes(key)) return key as SortKey;
  throw new UsageError(`--sort: unknown key '${word}' (one of ${SORT_KEYS.join(', ')})`);
}

/** Sorts sockets for listings; queues and timers sort largest first, the rest ascending. Stable. */
export function sortSockets<T extends Socket>(sockets: readonly T[], key: SortKey): T[] {
  const cmp = (a: T, b: T): number => {
    switch (key) {
      case 'state':
        return (STATE_ORDER.get(a.state) ?? 0) - (STATE_ORDER.get(b.state) ?? 0);
      case 'local':
        return compareAddress(a.local.address, b.local.address) || (a.local.port ?? 0) - (b.local.port ?? 0);
      case 'remote':
        return (
          compareAddress(a.remote.address, b.remote.address) || (a.remote.port ?? 0) - (b.remote.port ?? 0)
        );
      case 'port':
        return (a.local.port ?? 0) - (b.local.port ?? 0);
      case 'recv-q':
        return (b.recvQ ?? 0) - (a.recvQ ?? 0);
      case 'send-q':
        return (b.sendQ ?? 0) - (a.sendQ ?? 0);
      case 'timer':
        return (b.timer?.expiresMs ?? -1) - (a.timer?.expiresMs ?? -1);
      case 'process':
        return processLabel(a).localeCompare(processLabel(b));
    }
  };
  return sockets
    .map((s, i) => ({ s, i }))
    .sort((x, y) => cmp(x.s, y.s) || x.i - y.i)
    .map((x) => x.s);
}
