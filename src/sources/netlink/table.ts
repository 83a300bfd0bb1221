import type { ProcessRef, Socket, TcpInfo } from '../../model/snapshot.ts';
import type { JsonOut, SocketTable } from '../../model/socket-table.ts';
import type { TcpState } from '../../states/states.ts';
import type { SocketOwners } from '../proc/processes.ts';
import { writeRecordJson } from './record-json.ts';
import type { SockDiagRecords } from './records.ts';

/**
 * A netlink dump as a SocketTable: counts and groups read the records in place; `socket(i)` builds the object with
 * what the reader learnt after the dump (tcp_info of CLOSE_WAIT sockets, cgroup paths, owners), set the way the
 * reader used to set them on every socket, so the object is the same, key for key.
 */
export class RecordTable implements SocketTable {
  readonly records: SockDiagRecords;
  readonly length: number;
  /** tcp_info of the CLOSE_WAIT sockets from a second dump, by cookie (the idle estimate of the close-wait rule). */
  closeWaitInfo: Map<string, TcpInfo> | undefined;
  /** cgroup id → path under the cgroup2 mount. */
  cgroupPaths: ReadonlyMap<number, string> | undefined;
  /** `-p`: owners by inode, and whether some processes could not be read (then an unmatched socket is unknown). */
  owners: { byInode: ReadonlyMap<number, ProcessRef[]>; hidden: boolean } | undefined;

  constructor(records: SockDiagRecords) {
    this.records = records;
    this.length = records.count;
  }

  state(i: number): TcpState {
    return this.records.state(i);
  }
  family(i: number) {
    return this.records.family(i);
  }
  localPort(i: number): number {
    return this.records.localPort(i);
  }
  private wildcardPeer(i: number): boolean {
    return this.records.stateCode(i) === 10 && this.records.remotePort(i) === 0;
  }
  remotePort(i: number): number | undefined {
    return this.wildcardPeer(i) ? undefined : this.records.remotePort(i);
  }
  localAddress(i: number): string {
    return this.records.address(i, true);
  }
  remoteAddress(i: number): string {
    return this.wildcardPeer(i) ? '*' : this.records.address(i, false);
  }
  recvQ(i: number): number {
    return this.records.rqueue(i);
  }
  sendQ(i: number): number {
    return this.records.wqueue(i);
  }
  inode(i: number): number {
    return this.records.inode(i);
  }
  processes(i: number): ProcessRef[] | undefined {
    const owners = this.owners;
    if (owners === undefined) return undefined;
    const inode = this.records.inode(i);
    const found = inode === 0 ? undefined : owners.byInode.get(inode);
    if (found !== undefined) return found;
    return inode === 0 || !owners.hidden ? [] : undefined;
  }
  hasProcesses(): boolean {
    if (this.owners === undefined) return false;
    if (!this.owners.hidden) return this.length > 0;
    for (let i = 0; i < this.length; i++) if (this.processes(i) !== undefined) return true;
    return false;
  }
  cgroupId(i: number): number | undefined {
    return this.records.hasCgroupId(i) ? this.records.cgroupId(i) : undefined;
  }
  cgroup(i: number): string | undefined {
    if (this.cgroupPaths === undefined || !this.records.hasCgroupId(i)) return undefined;
    return this.cgroupPaths.get(this.records.cgroupId(i));
  }

  socket(i: number): Socket {
    const socket = this.records.socket(i);
    if (this.closeWaitInfo !== undefined && socket.state === 'CLOSE_WAIT') {
      const info = this.closeWaitInfo.get(socket.cookie!);
      if (info !== undefined) socket.tcpInfo = info;
    }
    const path = this.cgroup(i);
    if (path !== undefined) socket.cgroup = path;
    if (this.owners !== undefined) {
      const processes = this.processes(i);
      if (processes !== undefined) socket.processes = processes;
    }
    return socket;
  }

  /** `JSON.stringify(this.socket(i))`, written from the record (record-json.ts). */
  writeJson(i: number, out: JsonOut): void {
    writeRecordJson(this, i, out);
  }
}

/** The owners note of `-p` and the sockets left unknown, for a table (see attachProcesses for the rules). */
export function attachTableOwners(table: RecordTable, owners: SocketOwners): number {
  const hidden = owners.denied.length > 0;
  table.owners = { byInode: owners.byInode, hidden };
  if (!hidden) return 0;
  let unknown = 0;
  for (let i = 0; i < table.length; i++) if (table.processes(i) === undefined) unknown++;
  return unknown;
}
