/**
 * What each `pcap` output costs per connection, in-process: the library reads a capture once per writer, handing
 * every connection (the in-place view the sinks get) to one writer, which writes into /dev/null; the CPU time
 * over the no-output pass is the output's cost. Side by side in one run: the field writers the sinks use
 * (record-json.ts, zeek-log.ts, into TextBytes) and the generic way they replaced (the record object and
 * JSON.stringify, or zeekLine, joined into a string and encoded at the write), so the ratio is of one run.
 *
 *   taskset -c 1 node --import tsx bench/capture-output.ts [CAPTURE] [--runs N]
 *
 * CAPTURE defaults to bench/out/short.pcap (made by bench/capture.ts). Prints a markdown table.
 */
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EndedConnection } from '../src/capture/ended.ts';
import { readCaptureFile } from '../src/capture/pipeline.ts';
import { connectionRecord, zeekLine } from '../src/capture/record.ts';
import { writeConnectionJson, writeConnectionNdjson } from '../src/capture/record-json.ts';
import { connState } from '../src/capture/zeek.ts';
import { writeZeekLine } from '../src/capture/zeek-log.ts';
import { TextBytes } from '../src/render/text-bytes.ts';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const file =
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs') ??
  join(import.meta.dirname, 'out/short.pcap');

const fd = openSync('/dev/null', 'w');
const bytes = new TextBytes((chunk) => {
  writeSync(fd, chunk);
  return true;
});
let pending = '';
const gathered = (text: string) => {
  pending += text;
  if (pending.length > 65536) {
    writeSync(fd, Buffer.from(pending));
    pending = '';
  }
};

const writers: Record<string, (c: EndedConnection) => void> = {
  none: (c) => {
    connState(c);
  },
  'ndjson: record + JSON.stringify': (c) => {
    connState(c);
    gathered(`${JSON.stringify({ type: 'connection', ...connectionRecord(c) })}\n`);
  },
  'ndjson: field writer': (c) => writeConnectionNdjson(bytes, c, connState(c)),
  'json: record + JSON.stringify(…, null, 2)': (c) => {
    connState(c);
    gathered(`,\n    ${JSON.stringify(connectionRecord(c), null, 2).replaceAll('\n', '\n    ')}`);
  },
  'json: field writer': (c) => {
    bytes.ascii(',\n    ');
    writeConnectionJson(bytes, c, connState(c), '    ');
  },
  'zeek: zeekLine joined': (c) => gathered(`${zeekLine(c)}\n`),
  'zeek: field writer': (c) => writeZeekLine(bytes, c),
};

// Rounds, every writer once per round, so a loaded machine's drift hits them alike; the minimum counts.
const best = new Map<string, number>();
let connections = 0;
for (let r = 0; r < runs; r++) {
  for (const [name, writer] of Object.entries(writers)) {
    connections = 0;
    const before = process.cpuUsage();
    readCaptureFile(file, {
      onEnded: (c) => {
        connections++;
        writer(c);
      },
    });
    bytes.flush();
    const used = process.cpuUsage(before);
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, (used.user + used.system) / 1e6));
  }
}
const floor = best.get('none')!;
console.log(
  `\n${file}: ${connections.toLocaleString('en')} connections, CPU seconds, minimum of ${runs} rounds\n`,
);
console.log('| writer | CPU s | output CPU s | µs per connection | generic ÷ field writer |');
console.log('| --- | ---: | ---: | ---: | ---: |');
const names = Object.keys(writers);
for (const name of names) {
  const s = best.get(name)!;
  const out = s - floor;
  const generic = name.endsWith('field writer')
    ? best.get(names[names.indexOf(name) - 1]!)! - floor
    : undefined;
  console.log(
    `| ${name} | ${s.toFixed(2)} | ${name === 'none' ? '' : out.toFixed(2)} | ${name === 'none' ? '' : ((out / connections) * 1e6).toFixed(2)} | ${generic === undefined ? '' : `${(generic / out).toFixed(1)}x`} |`,
  );
}
