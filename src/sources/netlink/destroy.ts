import { SourceError, TcpstateError } from '../../errors.ts';
import type { Socket } from '../../model/snapshot.ts';
import type { TcpState } from '../../states/states.ts';
import { errnoName, type SockDiagReader } from './reader.ts';

/** One socket chosen for SOCK_DESTROY, and what the kernel answered. */
export interface DestroyResult {
  socket: Socket;
  /** `closed`: the kernel aborted it; `gone`: it no longer existed (closed on its own between the dump and now). */
  outcome: 'closed' | 'gone';
}

export interface DestroyPlan {
  /** Sockets the filter matched that will be (or were) destroyed. */
  targets: Socket[];
  /** LISTEN sockets the filter matched but that are kept without `includeListen`. */
  listenersKept: number;
}

const EPERM = 1;
const ENOENT = 2;
const EACCES = 13;
const EOPNOTSUPP = 95;

/**
 * Chooses the sockets to destroy: those of one dump that `match` keeps, LISTEN sockets only with `includeListen`.
 * `states` goes to the kernel as the dump's state mask.
 */
export function planDestroy(
  reader: SockDiagReader,
  match: (socket: Socket) => boolean,
  options: { states?: ReadonlySet<TcpState> | undefined; includeListen?: boolean | undefined } = {},
): DestroyPlan & { run: () => DestroyResult[] } {
  const records = reader.dump({ states: options.states });
  const chosen: number[] = [];
  const targets: Socket[] = [];
  let listenersKept = 0;
  for (let i = 0; i < records.count; i++) {
    const socket = records.socket(i);
    if (!match(socket)) continue;
    if (socket.state === 'LISTEN' && !options.includeListen) {
      listenersKept++;
      continue;
    }
    chosen.push(i);
    targets.push(socket);
  }
  const run = (): DestroyResult[] => {
    const results: DestroyResult[] = [];
    for (let k = 0; k < chosen.length; k++) {
      const errno = reader.destroy(records, chosen[k]!);
      if (errno === 0 || errno === ENOENT) {
        results.push({ socket: targets[k]!, outcome: errno === 0 ? 'closed' : 'gone' });
        continue;
      }
      if (errno === EOPNOTSUPP) {
        throw new TcpstateError(
          'this kernel cannot close sockets: it was built without CONFIG_INET_DIAG_DESTROY (SOCK_DESTROY)',
          { code: 'E_UNSUPPORTED', exitCode: 3 },
        );
      }
      if (errno === EPERM || errno === EACCES) {
        throw new TcpstateError('closing sockets needs root (CAP_NET_ADMIN)', {
          code: 'E_PERMISSION',
          exitCode: 1,
        });
      }
      throw new SourceError(`SOCK_DESTROY failed: ${errnoName(errno)}`, reader.label);
    }
    return results;
  };
  return { targets, listenersKept, run };
}
