/**
 * serve's look over a netlink snapshot reads the records in place: taking a look (tracking, summary, oldest ages)
 * must not build the snapshot's `sockets` array, which at 100k sockets was most of a look's JavaScript, nor a
 * socket object for a connection that did not change (the snapshot worker's LookTaker has kernel entry times,
 * which once made it build every socket for its ages).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from '../../src/model/snapshot.ts';
import { ArrayTable, tableOf } from '../../src/model/socket-table.ts';
import { LookTaker, SnapshotAnswers } from '../../src/server/look.ts';
import { takeLiveSnapshot } from '../../src/sources/live.ts';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { KernelEntryTimes } from '../../src/track/kernel-ages.ts';
import { canUseNetns, createNetnsPair, type NetnsPair, waitFor } from '../helpers/netns.ts';

const missing = netlinkUnavailableReason();

describe.skipIf(missing !== undefined)(
  `serve's look over netlink${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('takes two looks without building the sockets array', async () => {
      const taker = new LookTaker();
      for (let i = 0; i < 2; i++) {
        const snapshot = await takeLiveSnapshot({ reader: 'netlink', kernel: false });
        expect(snapshot.source.kind).toBe('netlink');
        const look = taker.take(snapshot, []);
        expect(Object.keys(look.snapshot)).not.toContain('sockets');
        expect(look.snapshot.takenAt).toBe(snapshot.takenAt);
        // tableOf answers from the records until `sockets` is read, from an array over the built objects after.
        expect(tableOf(snapshot)).not.toBeInstanceOf(ArrayTable);
      }
    });
  },
);

describe.skipIf(missing !== undefined || !canUseNetns)(
  `the snapshot worker's look of unchanged connections${missing ? ` (skipped: ${missing})` : !canUseNetns ? ' (skipped: needs root for a network namespace)' : ''}`,
  () => {
    let pair: NetnsPair;
    beforeAll(async () => {
      pair = createNetnsPair('tcpst-look');
      // Eight established loopback connections (16 sockets) and their listener, held open.
      const holder = pair.spawn(pair.a.ns, 'python3', [
        '-c',
        'import socket,sys\nl=socket.socket();l.bind(("127.0.0.1",7070));l.listen(64)\nk=[]\nfor _ in range(8):\n c=socket.create_connection(("127.0.0.1",7070));k+=[c,l.accept()[0]]\nprint("ready",flush=True)\nsys.stdin.read()',
      ]);
      let out = '';
      holder.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await waitFor(() => (out.includes('ready') ? true : undefined));
    });
    afterAll(() => pair?.cleanup());

    it('builds no socket object for them, with kernel entry times as the worker has', async () => {
      // The worker's taker always has entry times (the trace's changes may come at any time); none came here.
      const taker = new LookTaker(new KernelEntryTimes());
      const builds: number[] = [];
      for (let i = 0; i < 2; i++) {
        const snapshot = await takeLiveSnapshot({ reader: 'netlink', kernel: false, netns: pair.a.ns });
        const table = tableOf(snapshot);
        const build = table.socket.bind(table);
        let built = 0;
        table.socket = (n: number): Socket => {
          built++;
          return build(n);
        };
        const look = taker.take(snapshot, []);
        expect(look.summary.byState.ESTABLISHED).toBe(16);
        expect(look.oldestKind.ESTABLISHED).toBe('bound');
        builds.push(built);
        // The dashboard's top groups are counted from the table too.
        const services = new SnapshotAnswers(snapshot, []).groups('service', 10);
        // Port 7070 served here (the listener and 8 accepted) and used as a client (8).
        expect(services.map((g) => [g.key, g.total])).toEqual([
          ['7070', 9],
          ['7070', 8],
        ]);
        expect(built).toBe(builds.at(-1));
      }
      // The first look builds the listener (its key); the second, of the same connections, builds nothing.
      expect(builds).toEqual([1, 0]);
    });
  },
);
