import { SourceError } from '../../errors.ts';
import { os } from '../../internal/platform.ts';
import type { Family, Socket } from '../../model/snapshot.ts';
import type { TcpState } from '../../states/states.ts';
import { loadSockDiag, type SockDiagAddon } from './addon.ts';
import {
  AF_INET,
  AF_INET6,
  BASE_SIZE,
  EXT_INFO,
  EXT_SKMEMINFO,
  FULL_SIZE,
  SockDiagRecords,
  statesMask,
} from './records.ts';

export interface DumpOptions {
  /** Only these states (pushed into the kernel's idiag_states); all when absent or empty. */
  states?: Iterable<TcpState> | undefined;
  /** Ask for tcp_info (rtt, cwnd, retransmissions, idle times). Costs the kernel a little per socket. */
  info?: boolean | undefined;
  /** Ask for socket memory (skmeminfo). */
  memory?: boolean | undefined;
  /** One family only (AF_INET6 includes v4-mapped sockets). */
  family?: Family | undefined;
  /** An INET_DIAG_REQ_BYTECODE filter the kernel runs on each socket (bytecode.ts builds them). */
  bytecode?: Uint8Array | undefined;
}

/** errno values the kernel answers with, named for messages. */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  13: 'EACCES',
  22: 'EINVAL',
  93: 'EPROTONOSUPPORT',
  95: 'EOPNOTSUPP',
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/**
 * A NETLINK_SOCK_DIAG socket in one network namespace, kept open across looks (`watch` and `serve` dump through the
 * same socket every interval). Not thread-safe; one dump at a time.
 *
 * Library use (the `trace` command, for example):
 *
 *   const reader = SockDiagReader.open();            // or SockDiagReader.open({ nsPath: '/run/netns/x' })
 *   const records = reader.dump({ states: ['CLOSE_WAIT'], info: true });
 *   for (let i = 0; i < records.count; i++) records.lastDataRecvMs(i);   // no object per socket
 *   const one = reader.lookup({ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 51000 });
 *   reader.close();
 */
export class SockDiagReader {
  private fd: number;
  private readonly addon: SockDiagAddon;
  /** What to call this namespace in errors: `netns:NAME`, `pid:123`, `netlink`. */
  readonly label: string;

  private constructor(addon: SockDiagAddon, fd: number, label: string) {
    this.addon = addon;
    this.fd = fd;
    this.label = label;
  }

  /**
   * Opens the reader, in another network namespace when `nsPath` (an nsfs file: `/run/netns/NAME`,
   * `/proc/PID/ns/net`) is given. Throws a SourceError when the addon is missing or the kernel refuses.
   */
  static open(options: { nsPath?: string | undefined; label?: string | undefined } = {}): SockDiagReader {
    const label = options.label ?? 'netlink';
    const load = loadSockDiag();
    if (!('addon' in load)) throw new SourceError(`the netlink reader is unavailable: ${load.reason}`, label);
    let fd: number;
    try {
      fd = options.nsPath === undefined ? load.addon.open() : load.addon.open(options.nsPath);
    } catch (error) {
      const errno = (error as { errno?: number }).errno;
      const hint = errno === 1 ? ' (entering a namespace needs root)' : '';
      throw new SourceError(`${(error as Error).message}${hint}`, label, error);
    }
    return new SockDiagReader(load.addon, fd, label);
  }

  /** Dumps TCP sockets as records (no object per socket until asked). */
  dump(options: DumpOptions = {}): SockDiagRecords {
    const ext = (options.info ? EXT_INFO : 0) | (options.memory ? EXT_SKMEMINFO : 0);
    const family = options.family === undefined ? 0 : options.family === 'inet' ? AF_INET : AF_INET6;
    let buffer: ArrayBuffer;
    try {
      buffer =
        options.bytecode === undefined
          ? this.addon.dump(this.fd, family, statesMask(options.states), ext)
          : this.addon.dump(this.fd, family, statesMask(options.states), ext, options.bytecode);
    } catch (error) {
      throw new SourceError(`sock_diag: ${(error as Error).message}`, this.label, error);
    }
    return new SockDiagRecords(buffer, ext === 0 ? BASE_SIZE : FULL_SIZE);
  }

  /**
   * Sockets `indexes` of a dump made by this reader, asked again one by one by exact 4-tuple and cookie (with
   * tcp_info and socket memory as `options` say): for a few sockets, far cheaper than another dump, which walks
   * every socket of the host. Sockets closed since are left out. Undefined when the addon predates lookups.
   */
  lookupRecords(
    records: SockDiagRecords,
    indexes: readonly number[],
    options: { info?: boolean; memory?: boolean } = {},
  ): SockDiagRecords | undefined {
    if (this.addon.lookup === undefined) return undefined;
    const ext = (options.info ? EXT_INFO : 0) | (options.memory ? EXT_SKMEMINFO : 0);
    const stride = records.stride;
    const wanted = new Uint8Array(indexes.length * stride);
    indexes.forEach((i, k) => {
      wanted.set(records.record(i), k * stride);
    });
    let buffer: ArrayBuffer;
    try {
      buffer = this.addon.lookup(this.fd, wanted, stride, ext);
    } catch (error) {
      throw new SourceError(`sock_diag: ${(error as Error).message}`, this.label, error);
    }
    return new SockDiagRecords(buffer, ext === 0 ? BASE_SIZE : FULL_SIZE);
  }

  /**
   * The socket with this 4-tuple (local address:port, remote address:port), with tcp_info, or undefined when the
   * kernel has none. The kernel filters on the ports (bytecode); the addresses are compared here.
   */
  lookup(
    local: { address: string; port: number },
    remote: { address: string; port: number },
    options: { info?: boolean; memory?: boolean } = {},
  ): Socket | undefined {
    return this.lookupAll(local, remote, options)[0];
  }

  private lookupAll(
    local: { address: string; port: number },
    remote: { address: string; port: number },
    options: { info?: boolean; memory?: boolean },
  ): Socket[] {
    const bytecode = portBytecode(local.port, remote.port);
    const records = this.dump({ info: options.info ?? true, memory: options.memory, bytecode });
    const found: Socket[] = [];
    for (let i = 0; i < records.count; i++) {
      if (records.address(i, true) !== local.address || records.address(i, false) !== remote.address)
        continue;
      found.push(records.socket(i));
    }
    return found;
  }

  /** SOCK_DESTROY for record i of a dump made by this reader: 0 when closed, else the errno (see errnoName). */
  destroy(records: SockDiagRecords, i: number): number {
    return this.addon.destroy(this.fd, records.record(i));
  }

  close(): void {
    if (this.fd >= 0) this.addon.close(this.fd);
    this.fd = -1;
  }
}

/** True when the netlink reader can be used here; otherwise the reason it cannot. */
export function netlinkUnavailableReason(): string | undefined {
  const load = loadSockDiag();
  return 'addon' in load ? undefined : load.reason;
}

/** Bytecode for `sport == local && dport == remote` (built by hand: two INET_DIAG_BC_S_EQ/D_EQ pairs). */
function portBytecode(localPort: number, remotePort: number): Uint8Array {
  // op = {code u8, yes u8, no u16}; a port comparison is followed by an op whose `no` holds the port.
  // S_EQ(11) yes→next (8), no→reject (len+4 = 20); D_EQ(12) yes→end (8), no→reject (12).
  // The kernel reads these u16 fields in its own byte order.
  const le = os.littleEndian;
  const bc = new Uint8Array(16);
  const v = new DataView(bc.buffer);
  v.setUint8(0, 11);
  v.setUint8(1, 8);
  v.setUint16(2, 20, le);
  v.setUint16(6, localPort, le);
  v.setUint8(8, 12);
  v.setUint8(9, 8);
  v.setUint16(10, 12, le);
  v.setUint16(14, remotePort, le);
  return bc;
}
