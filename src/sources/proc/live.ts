import { readFile } from 'node:fs/promises';
import { SourceError } from '../../errors.ts';
import type { Snapshot, Socket, Warning } from '../../model/snapshot.ts';
import { parseProcNetTcp } from './proc-net-tcp.ts';

export interface LiveOptions {
  /** Root of the proc filesystem to read: `/proc` or `/proc/<pid>` for another process's network namespace. */
  procRoot?: string;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    // No IPv6 in this kernel or namespace: /proc/net/tcp6 is simply absent.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SourceError(`cannot read: ${(error as Error).message}`, path, error);
  }
}

/** Reads this host's (or a namespace's) TCP sockets from /proc/net/tcp and /proc/net/tcp6. */
export async function readProcSockets(options: LiveOptions = {}): Promise<Snapshot> {
  const root = options.procRoot ?? '/proc';
  const warnings: Warning[] = [];
  const [v4, v6] = await Promise.all([readOptional(`${root}/net/tcp`), readOptional(`${root}/net/tcp6`)]);
  if (v4 === undefined && v6 === undefined) {
    throw new SourceError(
      'no /proc/net/tcp here: live mode needs Linux (use `tcpstate analyze` for pasted text)',
      root,
    );
  }
  const sockets: Socket[] = [];
  if (v4 !== undefined) sockets.push(...parseProcNetTcp(v4, 'inet', warnings));
  if (v6 !== undefined) sockets.push(...parseProcNetTcp(v6, 'inet6', warnings));
  return {
    source: { kind: 'proc', name: `${root}/net/tcp`, os: 'linux' },
    takenAt: Date.now(),
    sockets,
    warnings,
  };
}
