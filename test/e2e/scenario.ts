/**
 * Real sockets in many states inside a namespace pair, driven by a small Python agent per namespace that takes
 * commands on stdin: listeners that never accept or never close, clients that hold connections, close them, or
 * connect to a port whose SYNs nftables drops. The kernel decides every state; nothing is synthesized.
 */
import type { ChildProcess } from 'node:child_process';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { readProcSockets } from '../../src/sources/proc/live.ts';
import { createNetnsPair, type NetnsPair, waitFor } from '../helpers/netns.ts';

const AGENT = `
import socket, sys, time
held = {}
def listen(port, accept=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port)); s.listen(1024); s.setblocking(False)
    held.setdefault('listeners', []).append((s, accept))
def pump():
    for s, accept in held.get('listeners', []):
        if not accept: continue
        while True:
            try: c, _ = s.accept()
            except BlockingIOError: break
            held.setdefault('accepted', []).append(c)
def connect(host, port, n, tag, block=True):
    for _ in range(n):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if block:
            c.settimeout(5); c.connect((host, port))
        else:
            c.setblocking(False)
            try: c.connect((host, port))
            except BlockingIOError: pass
        held.setdefault(tag, []).append(c)
def close(tag):
    for c in held.pop(tag, []): c.close()
for line in sys.stdin:
    parts = line.split()
    if not parts: continue
    pump()
    cmd = parts[0]
    if cmd == 'listen': listen(int(parts[1]), parts[2] == 'accept')
    elif cmd == 'connect': connect(parts[1], int(parts[2]), int(parts[3]), parts[4], parts[5] == 'block')
    elif cmd == 'close': close(parts[1])
    elif cmd == 'closeaccepted': close('accepted')
    pump()
    print('ok', flush=True)
`;

export interface Agent {
  send(command: string): Promise<void>;
}

function startAgent(pair: NetnsPair, ns: string): Agent {
  const child: ChildProcess = pair.spawn(ns, 'python3', ['-u', '-c', AGENT]);
  let buffer = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i = buffer.indexOf('\n');
    while (i >= 0) {
      buffer = buffer.slice(i + 1);
      waiters.shift()?.();
      i = buffer.indexOf('\n');
    }
  });
  return {
    send(command) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`agent in ${ns} did not answer '${command}'`)),
          15_000,
        );
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin!.write(`${command}\n`);
      });
    },
  };
}

export interface Scenario {
  pair: NetnsPair;
  client: Agent;
  server: Agent;
  /** Snapshot of namespace a (the clients) and b (the servers) together, as one host would not show, but a dashboard of both ends does. */
  snapshotBoth(): Promise<Snapshot>;
  snapshotOf(ns: 'a' | 'b'): Promise<Snapshot>;
  cleanup(): void;
}

/** Builds the pair, starts both agents, and drops SYNs to port 9 (so connects there stay in SYN_SENT). */
export async function createScenario(prefix: string): Promise<Scenario> {
  const pair = createNetnsPair(prefix);
  try {
    pair.nft(
      pair.b.ns,
      'table inet t {\n chain in {\n type filter hook input priority 0;\n tcp dport 9 drop\n }\n}\n',
    );
    const pids = { a: pair.pidIn(pair.a.ns), b: pair.pidIn(pair.b.ns) };
    const client = startAgent(pair, pair.a.ns);
    const server = startAgent(pair, pair.b.ns);
    const snapshotOf = (ns: 'a' | 'b') => readProcSockets({ procRoot: `/proc/${pids[ns]}` });
    return {
      pair,
      client,
      server,
      snapshotOf,
      async snapshotBoth() {
        const [a, b] = await Promise.all([snapshotOf('a'), snapshotOf('b')]);
        return {
          ...a,
          source: { kind: 'proc', name: `netns:${pair.a.ns}+${pair.b.ns}`, os: 'linux' },
          sockets: [...a.sockets, ...b.sockets],
        };
      },
      cleanup: () => pair.cleanup(),
    };
  } catch (error) {
    pair.cleanup();
    throw error;
  }
}

/** Waits until `ss` in a namespace shows `count` sockets in `state` (ss spelling, e.g. TIME-WAIT). */
export async function waitForSs(pair: NetnsPair, ns: string, state: string, count: number): Promise<void> {
  await waitFor(
    () => (pair.ss(ns).filter((r) => r.state === state).length >= count ? true : undefined),
    15_000,
  );
}
