/**
 * Real network namespaces for tests: two hosts joined by a veth pair, with IPv4 and IPv6 addresses, tools to run
 * commands inside them, drop chosen segments with nftables, and read `ss` as ground truth.
 * Traffic stays inside namespaces this process created. Requires root (CI runs as root).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const canUseNetns: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Host {
  ns: string;
  /** Interface name inside the namespace. */
  ifname: string;
  v4: string;
  v6: string;
}

export interface NetnsPair {
  a: Host;
  b: Host;
  /** Runs a command in a namespace and returns stdout (throws on failure). */
  exec(ns: string, command: string, args?: string[], input?: string): string;
  /** Starts a long-lived command in a namespace; it is killed by cleanup(). */
  spawn(ns: string, command: string, args?: string[]): ChildProcess;
  /** Installs an nftables ruleset (nft -f syntax) in a namespace. */
  nft(ns: string, ruleset: string): void;
  /** The pid of a process living in the namespace, so /proc/<pid>/net/* shows that namespace. */
  pidIn(ns: string): number;
  /** `ss -tanH` in a namespace, as rows [state, local, peer]. */
  ss(ns: string, extra?: string[]): SsRow[];
  cleanup(): void;
}

export interface SsRow {
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  rest: string;
}

let pairCounter = 0;

/**
 * Creates namespaces `<prefix>-a` and `<prefix>-b` joined by a veth pair. Each call gets its own /24 and /64 so
 * several tests (or helpers) can run at once; addresses are 10.77.<n>.1/.2 and fd77:<n>::1/::2.
 */
export function createNetnsPair(prefix = 'tcpst'): NetnsPair {
  const tag = `${prefix}-${process.pid % 10000}-${randomBytes(2).toString('hex')}`;
  const n = (process.pid + pairCounter++ * 7 + Math.floor(Math.random() * 200)) % 250;
  const a: Host = { ns: `${tag}-a`, ifname: 'veth0', v4: `10.77.${n}.1`, v6: `fd77:${n.toString(16)}::1` };
  const b: Host = { ns: `${tag}-b`, ifname: 'veth0', v4: `10.77.${n}.2`, v6: `fd77:${n.toString(16)}::2` };
  const children: ChildProcess[] = [];
  const run = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

  run(['netns', 'add', a.ns]);
  run(['netns', 'add', b.ns]);
  const hostSide = `v${randomBytes(3).toString('hex')}`;
  const peerSide = `v${randomBytes(3).toString('hex')}`;
  run(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peerSide]);
  run(['link', 'set', hostSide, 'netns', a.ns]);
  run(['link', 'set', peerSide, 'netns', b.ns]);
  for (const [host, dev] of [
    [a, hostSide],
    [b, peerSide],
  ] as const) {
    const inNs = (...args: string[]) => run(['-n', host.ns, ...args]);
    inNs('link', 'set', dev, 'name', host.ifname);
    inNs('link', 'set', 'lo', 'up');
    inNs('addr', 'add', `${host.v4}/24`, 'dev', host.ifname);
    inNs('addr', 'add', `${host.v6}/64`, 'dev', host.ifname, 'nodad');
    inNs('link', 'set', host.ifname, 'up');
  }

  const pair: NetnsPair = {
    a,
    b,
    exec(ns, command, args = [], input) {
      return execFileSync('ip', ['netns', 'exec', ns, command, ...args], {
        encoding: 'utf8',
        input,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    },
    spawn(ns, command, args = []) {
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    },
    nft(ns, ruleset) {
      execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
        input: ruleset,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    },
    pidIn(ns) {
      const child = pair.spawn(ns, 'sleep', ['3600']);
      if (child.pid === undefined) throw new Error(`cannot start a process in ${ns}`);
      // `ip netns exec` execs into sleep, so the pid is the sleeper's once exec has happened.
      for (let i = 0; i < 200; i++) {
        try {
          const target = execFileSync('readlink', [`/proc/${child.pid}/ns/net`], { encoding: 'utf8' }).trim();
          const mine = execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).trim();
          if (target !== mine) return child.pid;
        } catch {
          // not there yet
        }
        execFileSync('sleep', ['0.01']);
      }
      throw new Error(`process did not enter ${ns}`);
    },
    ss(ns, extra = []) {
      const out = pair.exec(ns, 'ss', ['-tanH', ...extra]);
      return parseSsRows(out);
    },
    cleanup() {
      for (const child of children) {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const ns of [a.ns, b.ns]) {
        try {
          run(['netns', 'pids', ns])
            .toString()
            .split('\n')
            .filter(Boolean)
            .forEach((pid) => {
              try {
                process.kill(Number(pid), 'SIGKILL');
              } catch {
                // gone
              }
            });
          run(['netns', 'del', ns]);
        } catch {
          // already removed
        }
      }
    },
  };
  return pair;
}

/** Parses `ss -tanH` rows (no header): State Recv-Q Send-Q Local Peer [rest]. */
export function parseSsRows(text: string): SsRow[] {
  const rows: SsRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || /^\s/.test(line)) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    rows.push({
      state: f[0]!,
      recvQ: Number(f[1]),
      sendQ: Number(f[2]),
      local: f[3]!,
      peer: f[4]!,
      rest: f.slice(5).join(' '),
    });
  }
  return rows;
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function waitFor<T>(check: () => T | undefined, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
