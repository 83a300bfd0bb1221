/**
 * `tcpstate kill` on ESTABLISHED and TIME_WAIT sockets, for real, across a veth pair so the peer's side can be
 * checked too: an ESTABLISHED socket destroyed on one side sends a RST, and the peer's socket is gone from its `ss`;
 * a TIME_WAIT entry destroyed is gone at once. The CLOSE_WAIT case is test/live/kill.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { runCli } from '../helpers/cli.ts';
import { canUseNetns, createNetnsPair, hasCommand, type NetnsPair, waitFor } from '../helpers/netns.ts';

const missing = netlinkUnavailableReason();
const skipReason =
  missing ??
  (canUseNetns && hasCommand('python3') ? undefined : 'needs root (namespaces, SOCK_DESTROY) and python3');
const COUNT = 3;
/** A serves, B connects and holds: ESTABLISHED on both sides. */
const EST = 7311;
/** B serves and closes on EOF, A connects and closes first: TIME_WAIT on A. */
const TW = 7312;

const serveHold = (addr: string, port: number) => `
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('${addr}', ${port})); l.listen(64); keep = []
print('ready', flush=True)
while True:
    s, _ = l.accept(); keep.append(s)
`;
const connectHold = (addr: string, port: number) => `
import socket, sys
keep = [socket.create_connection(('${addr}', ${port})) for _ in range(${COUNT})]
print('ready', flush=True)
sys.stdin.read()
`;
const serveCloseOnEof = (addr: string, port: number) => `
import socket, threading
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('${addr}', ${port})); l.listen(64)
print('ready', flush=True)
def serve(s):
    while s.recv(100): pass
    s.close()
while True:
    s, _ = l.accept(); threading.Thread(target=serve, args=(s,), daemon=True).start()
`;
const connectClose = (addr: string, port: number) => `
import socket, time
for _ in range(${COUNT}):
    c = socket.create_connection(('${addr}', ${port})); c.close()
time.sleep(0.5)
print('ready', flush=True)
`;

describe.skipIf(skipReason !== undefined)(
  `tcpstate kill by state${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let pair: NetnsPair;
    const count = (ns: string, state: string, port: number, side: 'local' | 'peer') =>
      pair.ss(ns).filter((r) => r.state === state && r[side].endsWith(`:${port}`)).length;
    const start = async (ns: string, code: string) => {
      const child = pair.spawn(ns, 'python3', ['-c', code]);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await waitFor(() => (out.includes('ready') ? true : undefined), 15_000);
    };

    beforeAll(async () => {
      pair = createNetnsPair('tcpst-kills');
      await start(pair.a.ns, serveHold(pair.a.v4, EST));
      await start(pair.b.ns, connectHold(pair.a.v4, EST));
      await start(pair.b.ns, serveCloseOnEof(pair.b.v4, TW));
      await start(pair.a.ns, connectClose(pair.b.v4, TW));
      await waitFor(
        () =>
          count(pair.a.ns, 'ESTAB', EST, 'local') === COUNT &&
          count(pair.b.ns, 'ESTAB', EST, 'peer') === COUNT &&
          count(pair.a.ns, 'TIME-WAIT', TW, 'peer') === COUNT
            ? true
            : undefined,
        10_000,
      );
    }, 60_000);

    afterAll(() => pair?.cleanup());

    it('ESTABLISHED: the socket goes, a RST reaches the peer, whose socket goes too (ss on both sides)', async () => {
      const r = runCli(['kill', '--netns', pair.a.ns, '-s', 'established', `sport = :${EST}`, '--yes']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`closed ${COUNT} sockets`);
      expect(count(pair.a.ns, 'ESTAB', EST, 'local')).toBe(0);
      // The RST crossed the veth: the client's sockets left ESTABLISHED (to CLOSED: gone from the table).
      await waitFor(() => (count(pair.b.ns, 'ESTAB', EST, 'peer') === 0 ? true : undefined), 5000);
      expect(pair.ss(pair.b.ns).filter((r) => r.peer.endsWith(`:${EST}`))).toEqual([]);
      expect(count(pair.a.ns, 'LISTEN', EST, 'local')).toBe(1);
    });

    it('TIME_WAIT: the entries are removed at once', () => {
      expect(count(pair.a.ns, 'TIME-WAIT', TW, 'peer')).toBe(COUNT);
      const r = runCli(['kill', '--netns', pair.a.ns, '-s', 'time-wait', `dport = :${TW}`, '--yes']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`closed ${COUNT} sockets`);
      expect(count(pair.a.ns, 'TIME-WAIT', TW, 'peer')).toBe(0);
    });
  },
);
