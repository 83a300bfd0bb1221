import { UsageError } from '../errors.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { TcpState } from '../states/states.ts';
import { loadSockDiag } from './netlink/addon.ts';
import { readNetlinkSnapshot } from './netlink/live.ts';

export { snapshotCookies } from './netlink/live.ts';

import type { SockDiagReader } from './netlink/reader.ts';
import { readLiveSnapshot } from './proc/live.ts';

/** Which kernel interface reads the sockets: `netlink` (sock_diag, the native addon), `proc`, or `auto`. */
export type LiveReader = 'auto' | 'netlink' | 'proc';
export const LIVE_READERS: readonly LiveReader[] = ['auto', 'netlink', 'proc'];

/** What chooses and shapes a live snapshot: the CLI's -p, --netns, --ns-of, --no-kernel, --no-backlog, --reader, -i. */
export interface LiveSourceOptions {
  /** `-p`: attribute sockets to processes. */
  processes?: boolean | undefined;
  /** `--netns NAME`: a named network namespace (`ip netns`). */
  netns?: string | undefined;
  /** `--ns-of PID`: the network namespace of a process (a container's sockets, seen from the host). */
  nsOf?: number | undefined;
  /** `--no-kernel` sets false: skip counters, sockstat and sysctls. */
  kernel?: boolean | undefined;
  /** `--no-backlog` sets false: do not ask `ss` for listener backlogs (the /proc reader only). */
  backlog?: boolean | undefined;
  /** `--reader`: netlink where the addon loads (auto, the default), or one forced. */
  reader?: LiveReader | undefined;
  /** `-i`: tcp_info and socket memory on every socket (netlink only). */
  info?: boolean | undefined;
  /**
   * Read only these states (netlink asks the kernel for them alone: `-s close-wait` on 100k sockets reads a few).
   * The /proc reader reads everything and leaves the filtering to the view.
   */
  states?: ReadonlySet<TcpState> | undefined;
  /** A port filter the netlink reader hands the kernel (netlink/bytecode.ts); the view filters as before. */
  bytecode?: Uint8Array | undefined;
  /** A netlink reader kept open across looks (watch, serve); its namespace must be the one asked for. */
  netlinkReader?: SockDiagReader | undefined;
}

let fallbackSaid = false;

/** Says once per process, on a terminal only, that /proc is read because the addon is missing. */
function sayFallback(reason: string): void {
  if (fallbackSaid || !process.stderr.isTTY) return;
  fallbackSaid = true;
  process.stderr.write(`tcpstate: reading /proc (${reason})\n`);
}

/** The reader `takeLiveSnapshot` will use for these options (throws when a forced one cannot be used). */
export function chooseLiveReader(
  options: Pick<LiveSourceOptions, 'reader' | 'info'> = {},
): 'netlink' | 'proc' {
  const wanted = options.reader ?? 'auto';
  if (wanted === 'proc') {
    if (options.info) throw new UsageError('-i (tcp_info) needs the netlink reader, not --reader proc');
    return 'proc';
  }
  const load = loadSockDiag();
  if ('addon' in load) return 'netlink';
  if (wanted === 'netlink' || options.info) {
    throw new UsageError(
      `${wanted === 'netlink' ? '--reader netlink' : '-i'}: the netlink reader is unavailable: ${load.reason}`,
    );
  }
  sayFallback(load.reason);
  return 'proc';
}

/** Takes one snapshot of this machine's sockets (or a namespace's), from the reader this platform has. */
export async function takeLiveSnapshot(options: LiveSourceOptions = {}): Promise<Snapshot> {
  // Off Linux there is no /proc/net/tcp: run the system's own netstat (and sockstat) through the text parsers.
  if (process.platform !== 'linux') {
    if (options.netns !== undefined || options.nsOf !== undefined) {
      throw new UsageError('--netns and --ns-of need Linux network namespaces');
    }
    if (options.reader === 'netlink' || options.info) {
      throw new UsageError('the netlink reader (--reader netlink, -i) needs Linux');
    }
    const { readNativeSnapshot } = await import('./native/native.ts');
    return readNativeSnapshot({ platform: process.platform });
  }
  if (chooseLiveReader(options) === 'proc') return readLiveSnapshot(options);
  return readNetlinkSnapshot({
    processes: options.processes,
    netns: options.netns,
    nsOf: options.nsOf,
    kernel: options.kernel,
    info: options.info,
    states: options.states,
    bytecode: options.bytecode,
    reader: options.netlinkReader,
  });
}
