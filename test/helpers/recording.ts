/**
 * Sockets, looks and temporary recordings for the store's tests: one server on port 8080 whose clients are told
 * apart by their port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import type { TcpState } from '../../src/states/states.ts';

/**
 * The server's end of a connection from client port `port`. Like `ss`, a socket has an inode unless it is in
 * TIME_WAIT (pass 0) or the test leaves it out (pass undefined).
 */
export function sock(
  port: number,
  state: TcpState,
  inode: number | undefined = 100_000 + port,
  host: { server: string; client: string } = { server: '10.0.0.1', client: '10.0.0.2' },
): Socket {
  return {
    protocol: 'tcp',
    family: 'inet',
    state,
    local: { address: host.server, port: 8080 },
    remote: { address: host.client, port },
    ...(inode !== undefined ? { inode } : {}),
  };
}

/** The server's listening socket, on every address. */
export const listener: Socket = {
  protocol: 'tcp',
  family: 'inet',
  state: 'LISTEN',
  local: { address: '0.0.0.0', port: 8080 },
  remote: { address: '0.0.0.0', port: undefined },
  inode: 1,
};

/** One look at `takenAt` (ms). */
export const snap = (takenAt: number, sockets: Socket[]): Snapshot => ({
  source: { kind: 'text', name: 'test' },
  takenAt,
  sockets,
  warnings: [],
});

/** A fresh recording path per call, in a directory of this test file's removed when it ends. */
export function recordingFiles(prefix: string): () => string {
  const dir = mkdtempSync(join(tmpdir(), `tcpstate-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return () => join(dir, `${prefix}${n++}.db`);
}
