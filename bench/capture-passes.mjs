// Reads one capture several times in one process with full tracking (the built library, dist/), printing each
// pass's time: the first pass pays for V8's compiling and the interpreter's warm-up, the later ones show what the
// tracker costs once it is compiled. docs/benchmarks.md uses it to size that share on one core:
//
//   npm run build && taskset -c 0 node bench/capture-passes.mjs bench/out/loopback.pcap [passes]
import { readCaptureFile } from '../dist/capture/pipeline.js';
import { connState } from '../dist/capture/zeek.js';

const file = process.argv[2];
const passes = Number(process.argv[3] ?? 3);
if (!file) {
  process.stderr.write('usage: node bench/capture-passes.mjs FILE [passes]\n');
  process.exit(2);
}
for (let pass = 1; pass <= passes; pass++) {
  const started = performance.now();
  let established = 0;
  const result = readCaptureFile(file, {
    onConnection: (conn) => {
      if (connState(conn) === 'SF') established++;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const packets = result.reader.packets;
  process.stdout.write(
    `${JSON.stringify({ pass, seconds, packets, mpps: packets / seconds / 1e6, connections: result.tracker.connections, sf: established })}\n`,
  );
}
