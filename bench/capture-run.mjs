// The measured process for bench/capture.ts: reads a capture with full tracking from the built library (dist/)
// and tallies what the default `tcpstate pcap` summary shows (conn_state and anomaly counts). With --records it
// also builds every connection's JSON record, as --ndjson does (without printing it).
import { readCaptureFile } from '../dist/capture/pipeline.js';
import { connectionRecord } from '../dist/capture/record.js';
import { connState } from '../dist/capture/zeek.js';

const records = process.argv.includes('--records');
const started = performance.now();
const cpu0 = process.cpuUsage();
const states = new Map();
const anomalies = new Map();
const result = readCaptureFile(process.argv[2], {
  onConnection: (conn) => {
    const s = connState(conn);
    states.set(s, (states.get(s) ?? 0) + 1);
    for (const a of conn.anomalies ?? []) anomalies.set(a.kind, (anomalies.get(a.kind) ?? 0) + 1);
    if (records) connectionRecord(conn);
  },
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({
    seconds,
    cpuSeconds,
    packets: result.reader.packets,
    connections: result.tracker.connections,
    maxLive: result.tracker.maxLive,
    connStates: Object.fromEntries(states),
    anomalies: Object.fromEntries(anomalies),
  })}\n`,
);
