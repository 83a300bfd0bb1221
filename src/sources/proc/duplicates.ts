import type { Socket } from '../../model/snapshot.ts';

/**
 * Drops the rows /proc lists twice. The kernel prints /proc/net/tcp by walking its hash tables without stopping
 * them, so a socket that moves while the walk passes (a connection closing, a bucket rehashed) can be printed in
 * both places: the same 4-tuple and inode twice in one read (seen in 8 of 34 reads under churn). Counted twice,
 * it becomes a phantom connection that "ends" at the next look.
 *
 * A socket is identified by its inode; inode 0 (no file holds it: TIME_WAIT, SYN_RECV, an orphaned socket) is
 * shared by unrelated sockets, so those are one only when tuple and state match too (a TIME_WAIT and a new
 * SYN_RECV on one tuple are two sockets). SO_REUSEPORT listeners share a tuple with distinct inodes: kept.
 * The first row wins. Returns how many rows were dropped.
 */
export function dropDuplicateRows(sockets: Socket[]): number {
  // Numbers as keys, no strings built: this runs on every look at 100k-socket tables.
  const byInode = new Map<number, Socket>();
  let byPorts: Map<number, Socket[]> | undefined;
  let kept = 0;
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    let duplicate = false;
    if (s.inode) {
      // Inodes are unique among live sockets; the same inode on another tuple would be a reused inode, not a copy.
      const first = byInode.get(s.inode);
      if (first === undefined) byInode.set(s.inode, s);
      else duplicate = sameTuple(first, s);
    } else {
      byPorts ??= new Map();
      // Both ports in a small integer (collisions are told apart below).
      const ports = (s.local.port ?? 0) ^ ((s.remote.port ?? 0) << 14);
      const seen = byPorts.get(ports);
      if (seen === undefined) byPorts.set(ports, [s]);
      else {
        duplicate = seen.some((o) => o.state === s.state && sameTuple(o, s));
        if (!duplicate) seen.push(s);
      }
    }
    if (!duplicate) sockets[kept++] = s;
  }
  const dropped = sockets.length - kept;
  sockets.length = kept;
  return dropped;
}

function sameTuple(a: Socket, b: Socket): boolean {
  return (
    a.family === b.family &&
    a.local.port === b.local.port &&
    a.remote.port === b.remote.port &&
    a.local.address === b.local.address &&
    a.remote.address === b.remote.address
  );
}
