import { UsageError } from '../errors.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { readLiveSnapshot } from './proc/live.ts';

/** What chooses and shapes a live snapshot: the CLI's -p, --netns, --ns-of, --no-kernel, --no-backlog. */
export interface LiveSourceOptions {
  /** `-p`: attribute sockets to processes. */
  processes?: boolean | undefined;
  /** `--netns NAME`: a named network namespace (`ip netns`). */
  netns?: string | undefined;
  /** `--ns-of PID`: the network namespace of a process (a container's sockets, seen from the host). */
  nsOf?: number | undefined;
  /** `--no-kernel` sets false: skip counters, sockstat and sysctls. */
  kernel?: boolean | undefined;
  /** `--no-backlog` sets false: do not ask `ss` for listener backlogs. */
  backlog?: boolean | undefined;
}

/** Takes one snapshot of this machine's sockets (or a namespace's), from the reader this platform has. */
export async function takeLiveSnapshot(options: LiveSourceOptions = {}): Promise<Snapshot> {
  // Off Linux there is no /proc/net/tcp: run the system's own netstat (and sockstat) through the text parsers.
  if (process.platform !== 'linux') {
    if (options.netns !== undefined || options.nsOf !== undefined) {
      throw new UsageError('--netns and --ns-of need Linux network namespaces');
    }
    const { readNativeSnapshot } = await import('./native/native.ts');
    return readNativeSnapshot({ platform: process.platform });
  }
  return readLiveSnapshot(options);
}
