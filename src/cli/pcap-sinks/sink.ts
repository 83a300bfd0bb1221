/**
 * What `tcpstate pcap` does with the connections it reads: one sink per output format. A sink is handed each
 * connection as it ends, as the tracker's in-place view (inside the read loop, so it never waits; it calls
 * `conn.connection()` for the rich object only if it keeps it), writes through a PacedOutput whose
 * backpressure paces the reading, and is finished once the capture is read.
 */
import type { ConnectionLike } from '../../capture/conn.ts';
import type { EndedConnection } from '../../capture/ended.ts';
import type { CaptureResult } from '../../capture/pipeline.ts';
import type { Timeline } from '../../capture/timeline.ts';
import type { TrackerStats } from '../../capture/tracker.ts';
import { type ConnState, connState } from '../../capture/zeek.ts';
import { timelineSvg } from '../../render/capture-timeline.ts';
import { writeOutputFile } from '../write-file.ts';

export interface CaptureSink {
  connection(conn: EndedConnection, stats: TrackerStats): void;
  finish(result: CaptureResult): void | Promise<void>;
}

/** conn_state and anomaly counts over every connection (the summary's and the documents' totals). */
export class Tally {
  readonly connStates = new Map<string, number>();
  readonly anomalies = new Map<string, number>();

  add(conn: ConnectionLike, state: ConnState = connState(conn)): void {
    this.connStates.set(state, (this.connStates.get(state) ?? 0) + 1);
    if (conn.anomalies !== undefined) {
      for (const a of conn.anomalies) this.anomalies.set(a.kind, (this.anomalies.get(a.kind) ?? 0) + 1);
    }
  }
}

/** The capture's totals, as the --json and --ndjson documents carry them. */
export function summaryDoc(result: CaptureResult, tally: Tally) {
  return {
    source: result.source,
    format: result.reader.format,
    packets: result.reader.packets,
    tcpSegments: result.decode.tcp,
    connections: result.tracker.connections,
    first: result.tracker.first,
    last: result.tracker.last,
    connStates: Object.fromEntries(tally.connStates),
    anomalies: Object.fromEntries(tally.anomalies),
    notAnalysed: {
      otherIp: result.decode.otherIp,
      nonIp: result.decode.nonIp,
      fragments: result.decode.fragments,
      tunnels: result.decode.tunnels,
      truncated: result.decode.truncated,
      badChecksums: result.decode.badChecksums,
      unknownLinktypes: result.decode.unknownLinktypes,
    },
    ...(result.reader.truncatedAt !== undefined ? { truncatedAt: result.reader.truncatedAt } : {}),
    ...(result.reader.corruptAt !== undefined ? { corruptAt: result.reader.corruptAt } : {}),
    warnings: result.warnings,
  };
}

/** Writes the timeline chart to `path` (--svg) and says so on stderr. */
export function writeSvg(path: string, timeline: Timeline, result: CaptureResult): void {
  writeOutputFile(path, timelineSvg(timeline, `TCP endpoint states: ${result.source}`));
  process.stderr.write(`tcpstate: timeline written to ${path}\n`);
}
