import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYOUT_VERSION } from './records.ts';

/**
 * The native side of the netlink reader (`native/sock_diag.c`, built by `npm install` with node-gyp). It only talks
 * to the kernel: every byte it returns is decoded in TypeScript (records.ts).
 */
export interface SockDiagAddon {
  /** A NETLINK_SOCK_DIAG socket; with `nsPath`, created inside that network namespace (needs CAP_SYS_ADMIN). */
  open(nsPath?: string): number;
  close(fd: number): void;
  /** TCP sockets of `family` (2 = AF_INET, 10 = AF_INET6, 0 = both) in the `states` mask, as fixed-size records. */
  dump(fd: number, family: number, states: number, ext: number, bytecode?: Uint8Array): ArrayBuffer;
  /**
   * The sockets these whole records name, asked one at a time by exact 4-tuple and cookie (a hash lookup each, no
   * walk of the kernel's tables), as records of `recordSize(ext)` bytes; sockets gone since are left out. Absent
   * from builds older than it.
   */
  lookup?(fd: number, records: Uint8Array, stride: number, ext: number): ArrayBuffer;
  /** SOCK_DESTROY for the socket one record describes: 0, or the errno the kernel answered. */
  destroy(fd: number, record: Uint8Array): number;
  /** Small files read from inside a network namespace (null where a file could not be read). */
  readFiles(nsPath: string, paths: string[]): (string | null)[];
  /** Bytes per record for this `ext` mask. */
  recordSize(ext: number): number;
  layoutVersion: number;
}

const ADDON_FILE = 'native/build/Release/tcpstate_sockdiag.node';

export type AddonLoad = { addon: SockDiagAddon } | { reason: string };

let loaded: AddonLoad | undefined;

/** The package root: the nearest folder above this module with the addon's build (or its sources) in it. */
function addonPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * Loads the addon once. `TCPSTATE_ADDON` names another build (tests); `TCPSTATE_ADDON=none` acts as if it were
 * missing. Never throws: the reason it is unavailable is returned, for the one line the CLI prints.
 */
export function loadSockDiag(): AddonLoad {
  if (loaded !== undefined) return loaded;
  loaded = load();
  return loaded;
}

function load(): AddonLoad {
  if (process.platform !== 'linux') return { reason: 'netlink sock_diag is Linux only' };
  const env = process.env.TCPSTATE_ADDON;
  if (env === 'none') return { reason: 'disabled by TCPSTATE_ADDON=none' };
  const path = env || addonPath();
  if (path === undefined) return { reason: 'native addon not built (npm install could not compile native/)' };
  try {
    const addon = createRequire(import.meta.url)(path) as SockDiagAddon;
    if (addon.layoutVersion !== LAYOUT_VERSION) {
      return {
        reason: `native addon is a different build (layout ${addon.layoutVersion}, want ${LAYOUT_VERSION})`,
      };
    }
    return { addon };
  } catch (error) {
    return { reason: `native addon could not be loaded: ${(error as Error).message.split('\n')[0]}` };
  }
}
