import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Warning } from '../../src/model/snapshot.ts';
import { readProcSocketTable } from '../../src/sources/proc/live.ts';

const root = mkdtempSync(join(tmpdir(), 'tcpstate-procdup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
/** A /proc/net/tcp row: 127.0.0.1:lport -> 127.0.0.1:rport in state `st` (hex), with `inode`. */
const row = (sl: number, lport: number, rport: number, st: string, inode: number) =>
  `${String(sl).padStart(4)}: 0100007F:${lport.toString(16).toUpperCase().padStart(4, '0')} 0100007F:${rport
    .toString(16)
    .toUpperCase()
    .padStart(
      4,
      '0',
    )} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 20 4 30 10 -1\n`;

function procRoot(name: string, tcp: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'net'), { recursive: true });
  writeFileSync(join(dir, 'net', 'tcp'), HEADER + tcp);
  writeFileSync(join(dir, 'net', 'tcp6'), HEADER);
  return dir;
}

describe('/proc reader: rows the kernel lists twice while connections churn', () => {
  it('keeps one row per (4-tuple, inode)', async () => {
    // What /proc showed under churn: the same CLOSE_WAIT socket (same tuple, same inode) in two hash-walk positions.
    const dir = procRoot(
      'dup',
      row(0, 8080, 40000, '08', 5001) +
        row(1, 8080, 40001, '08', 5002) +
        row(2, 8080, 40000, '08', 5001) +
        row(3, 8080, 40002, '01', 5003) +
        row(4, 8080, 40002, '01', 5003),
    );
    const warnings: Warning[] = [];
    const sockets = await readProcSocketTable(dir, warnings);
    expect(sockets.map((s) => `${s.remote.port} ${s.state} ${s.inode}`)).toEqual([
      '40000 CLOSE_WAIT 5001',
      '40001 CLOSE_WAIT 5002',
      '40002 ESTABLISHED 5003',
    ]);
  });

  it('keeps distinct sockets: SO_REUSEPORT listeners (one tuple, two inodes), TIME_WAIT beside a new SYN_RECV', async () => {
    const dir = procRoot(
      'distinct',
      row(0, 8080, 0, '0A', 7001) +
        row(1, 8080, 0, '0A', 7002) +
        // inode 0: sockets no file holds; two states on one tuple are two sockets.
        row(2, 8080, 41000, '06', 0) +
        row(3, 8080, 41000, '03', 0) +
        // ... but the same inode-0 row twice is one.
        row(4, 8080, 41001, '06', 0) +
        row(5, 8080, 41001, '06', 0),
    );
    const sockets = await readProcSocketTable(dir, []);
    expect(sockets.map((s) => `${s.remote.port ?? '*'} ${s.state} ${s.inode}`)).toEqual([
      '* LISTEN 7001',
      '* LISTEN 7002',
      '41000 TIME_WAIT 0',
      '41000 SYN_RECEIVED 0',
      '41001 TIME_WAIT 0',
    ]);
  });

  it.skipIf(process.platform !== 'linux')(
    'under real churn on loopback, no (tuple, inode) appears twice in one read',
    async () => {
      // Connections opened and closed as fast as the loop allows while /proc/net/tcp is read over and over.
      const server = createServer((s) => s.on('error', () => {}).end());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      let running = true;
      const churn = async () => {
        while (running) {
          await new Promise<void>((resolve) => {
            const c: NetSocket = connect(port, '127.0.0.1', () => c.end());
            c.on('error', () => resolve());
            c.on('close', () => resolve());
          });
        }
      };
      const workers = [churn(), churn(), churn(), churn()];
      // A second process keeps the kernel busy too, so reads interleave with other CPUs' changes.
      const child = spawn(process.execPath, [
        '-e',
        `const net=require('net');let n=0;const go=()=>{const c=net.connect(${port},'127.0.0.1',()=>c.end());c.on('error',()=>{});c.on('close',()=>{if(++n<3000)go()})};for(let i=0;i<8;i++)go();`,
      ]);
      try {
        // Three seconds of churn and at least six reads, however slowly a loaded machine reads /proc.
        const deadline = Date.now() + 3000;
        let reads = 0;
        while (Date.now() < deadline || reads < 6) {
          const sockets = await readProcSocketTable('/proc', []);
          const seen = new Set<string>();
          for (const s of sockets) {
            const key = `${s.family} ${s.local.address}:${s.local.port} ${s.remote.address}:${s.remote.port} ${s.inode} ${s.inode ? '' : s.state}`;
            expect(seen.has(key), key).toBe(false);
            seen.add(key);
          }
          reads++;
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        running = false;
        child.kill();
        await Promise.all(workers);
        await new Promise((r) => server.close(r));
      }
    },
  );
});
