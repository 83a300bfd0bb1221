import type { Socket } from '../../model/snapshot.ts';
import { execInNetns, execInNetnsAsync, type NetnsTarget } from './netns.ts';

/**
 * Accept backlogs of the listeners, by socket inode. /proc/net/tcp does not print a listener's backlog
 * (`sk_max_ack_backlog`); only the sock_diag netlink answer has it, which `ss` shows as the Send-Q of LISTEN rows.
 * Node has no netlink, so we ask `ss -Htlne` (listeners only: the kernel filters by state, so this stays cheap with
 * 100k connections) and join on the inode. Returns undefined when ss is not available.
 */
export function readListenBacklogs(target: Pick<NetnsTarget, 'nsPath'>): Map<number, number> | undefined {
  let out: string;
  try {
    out = execInNetns(target, 'ss', ['-Htlne']);
  } catch {
    return undefined;
  }
  return parseSsListeners(out);
}

/** The same, started now and collected later (it overlaps reading /proc). Never rejects. */
export function startListenBacklogs(
  target: Pick<NetnsTarget, 'nsPath'>,
): Promise<Map<number, number> | undefined> {
  return execInNetnsAsync(target, 'ss', ['-Htlne']).then(parseSsListeners, () => undefined);
}

/** `LISTEN 0 4096 0.0.0.0:22 0.0.0.0:* ino:1234 sk:1 ...` → inode 1234 → backlog 4096. */
export function parseSsListeners(text: string): Map<number, number> {
  const backlogs = new Map<number, number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'LISTEN' || f.length < 6) continue;
    const ino = f.find((t) => t.startsWith('ino:'));
    const backlog = Number(f[2]);
    if (ino === undefined || !Number.isInteger(backlog)) continue;
    const inode = Number(ino.slice(4));
    if (inode > 0) backlogs.set(inode, backlog);
  }
  return backlogs;
}

/**
 * Sets `backlog` on listeners, and their `sendQ` to it as `ss` does (for LISTEN, /proc's tx_queue is always 0 and
 * means nothing). A listener ss did not report (opened between the two reads) keeps both unknown.
 */
export function attachBacklogs(sockets: Socket[], backlogs: Map<number, number> | undefined): void {
  for (const socket of sockets) {
    if (socket.state !== 'LISTEN') continue;
    const backlog = socket.inode === undefined ? undefined : backlogs?.get(socket.inode);
    if (backlog === undefined) {
      delete socket.sendQ;
      continue;
    }
    socket.backlog = backlog;
    socket.sendQ = backlog;
  }
}
