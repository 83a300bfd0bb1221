/**
 * serve's look over a netlink snapshot reads the records in place: taking a look (tracking, summary, oldest ages)
 * must not build the snapshot's `sockets` array, which at 100k sockets was most of a look's JavaScript.
 */
import { describe, expect, it } from 'vitest';
import { ArrayTable, tableOf } from '../../src/model/socket-table.ts';
import { LookTaker } from '../../src/server/look.ts';
import { takeLiveSnapshot } from '../../src/sources/live.ts';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';

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
