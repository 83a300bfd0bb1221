// The measured process for bench/capture.ts: reads a capture with full tracking from the built library (dist/),
// turns every finished connection into its JSON record (as --ndjson does, without printing it), and reports timing.

import { readCaptureFile } from '../dist/capture/pipeline.js';
import { connectionRecord } from '../dist/capture/record.js';

const started = performance.now();
let connections = 0;
let anomalies = 0;
const result = readCaptureFile(process.argv[2], {
  onConnection: (conn) => {
    connections++;
    anomalies += connectionRecord(conn).anomalies.length;
  },
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, packets: result.reader.packets, connections, anomalies, maxLive: result.tracker.maxLive })}\n`,
);
