// What a capture tracker costs at the least, in this runtime on this machine: the same reader and decoder as
// `tcpstate pcap`, then a Map from a symmetric tuple hash to one small object per connection, created on a new
// tuple or on a SYN after two FINs, counting packets. No Zeek layer, no RFC inference, no anomalies, nothing
// emitted. With --fat each connection also carries ~1.2 KB (a 150-element array), about what a tracked connection
// weighs, to show what that memory costs by itself.
//
//   npm run build && node bench/capture-floor.mjs bench/out/loopback.pcap [--fat]
//
// It is a measuring stick for docs/benchmarks.md, not a tracker.
import { openSync, readSync } from 'node:fs';
import { DecodedSegment, decodePacket, emptyDecodeStats } from '../dist/capture/decode.js';
import { CaptureReader } from '../dist/capture/reader.js';

const fat = process.argv.includes('--fat');
const started = performance.now();
const seg = new DecodedSegment();
const stats = emptyDecodeStats();
const table = new Map();
let connections = 0;

function endpointHash(w, port) {
  let h = Math.imul(port ^ 0x5bd1e995, 0xcc9e2d51);
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ (h >>> 15) ^ w[i], 0x1b873593);
  return h;
}
function tupleHash(s) {
  let x = (endpointHash(s.src, s.sport) + endpointHash(s.dst, s.dport)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  return (x ^ (x >>> 13)) | 0;
}
function same(c, s) {
  return (
    (c.sport === s.sport && c.dport === s.dport && c.src3 === s.src[3] && c.dst3 === s.dst[3]) ||
    (c.sport === s.dport && c.dport === s.sport && c.src3 === s.dst[3] && c.dst3 === s.src[3])
  );
}
class Conn {
  constructor(s) {
    this.sport = s.sport;
    this.dport = s.dport;
    this.src3 = s.src[3];
    this.dst3 = s.dst[3];
    this.packets = 0;
    this.fins = 0;
    this.last = s.ts;
    this.next = undefined;
    this.weight = fat ? new Array(150).fill(0) : undefined;
  }
}

const reader = new CaptureReader('floor', (p) => {
  if (!decodePacket(p, seg, stats, { checksums: false })) return;
  const h = tupleHash(seg);
  let c = table.get(h);
  while (c !== undefined && !same(c, seg)) c = c.next;
  if (c === undefined || (c.fins >= 2 && seg.flags & 2)) {
    c = new Conn(seg);
    c.next = table.get(h);
    table.set(h, c);
    connections++;
  }
  c.packets++;
  c.last = seg.ts;
  if (seg.flags & 1) c.fins++;
});
const fd = openSync(process.argv[2], 'r');
const buf = new Uint8Array(4 << 20);
let filled = 0;
for (;;) {
  const n = readSync(fd, buf, filled, buf.length - filled, null);
  if (n === 0) break;
  filled += n;
  const used = reader.feed(buf.subarray(0, filled));
  buf.copyWithin(0, used, filled);
  filled -= used;
}
reader.end();
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    floor: fat ? 'fat' : 'lean',
    seconds,
    packets: reader.stats.packets,
    mpps: reader.stats.packets / seconds / 1e6,
    connections,
  }),
);
