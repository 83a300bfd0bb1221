/** --ndjson: a JSON record per connection as it ends, then the capture's summary. */
import type { EndedConnection } from '../../capture/ended.ts';
import type { CaptureResult } from '../../capture/pipeline.ts';
import { connectionRecord } from '../../capture/record.ts';
import type { PacedOutput } from '../output.ts';
import { type CaptureSink, summaryDoc, Tally } from './sink.ts';

/** Characters gathered into one write. */
const BATCH = 1 << 16;

export class NdjsonSink implements CaptureSink {
  private readonly tally = new Tally();
  private pending = '';
  private readonly out: PacedOutput;

  constructor(out: PacedOutput) {
    this.out = out;
  }

  connection(conn: EndedConnection): void {
    this.tally.add(conn);
    this.pending += `${JSON.stringify({ type: 'connection', ...connectionRecord(conn) })}\n`;
    if (this.pending.length > BATCH) {
      this.out.write(this.pending);
      this.pending = '';
    }
  }

  finish(result: CaptureResult): void {
    this.out.write(this.pending);
    this.pending = '';
    this.out.write(`${JSON.stringify({ type: 'summary', ...summaryDoc(result, this.tally) })}\n`);
  }
}
