/**
 * Stages a real CLOSE_WAIT leak between two namespaces: in `a`, a python3 server on port 8080 that accepts and
 * never closes; in `b`, a client that connects and closes every `periodMs`. Each client close leaves one server
 * socket in CLOSE_WAIT for good (and the client's in FIN_WAIT_2 until the kernel times it out).
 */
import type { NetnsPair } from './netns.ts';

export const LEAK_PORT = 8080;

const SERVER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', ${LEAK_PORT}))
s.listen(4096)
print('listening', flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # the bug: never closed
`;

const CLIENT = `
import socket, sys, time
host, period = sys.argv[1], float(sys.argv[2])
while True:
    try:
        c = socket.create_connection((host, ${LEAK_PORT}), timeout=2)
        c.close()
    except OSError:
        pass
    time.sleep(period)
`;

export async function stageCloseWaitLeak(pair: NetnsPair, periodMs: number): Promise<void> {
  const server = pair.spawn(pair.a.ns, 'python3', ['-u', '-c', SERVER]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('leak server did not start')), 10_000);
    server.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`leak server exited with ${code}`)));
  });
  pair.spawn(pair.b.ns, 'python3', ['-u', '-c', CLIENT, pair.a.v4, String(periodMs / 1000)]);
}
