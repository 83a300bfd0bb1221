/** --ndjson: a JSON record per connection as it ends, then the capture's summary. */
import type { EndedConnection } from '../../capture/ended.ts';
import type { CaptureResult } from '../../capture/pipeline.ts';
import { writeConnectionNdjson } from '../../capture/record-json.ts';
import { connState } from '../../capture/zeek.ts';
import type { TextBytes } from '../../render/text-bytes.ts';
import { type PacedOutput, pacedText } from '../output.ts';
import { type CaptureSink, summaryDoc, Tally } from './sink.ts';

export class NdjsonSink implements CaptureSink {
  private readonly tally = new Tally();
  private readonly text: TextBytes;

  constructor(out: PacedOutput) {
    this.text = pacedText(out);
  }

  connection(conn: EndedConnection): void {
    const state = connState(conn);
    this.tally.add(conn, state);
    writeConnectionNdjson(this.text, conn, state);
  }

  finish(result: CaptureResult): void {
    this.text.line(JSON.stringify({ type: 'summary', ...summaryDoc(result, this.tally) }));
    this.text.flush();
  }
}
