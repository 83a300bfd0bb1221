/**
 * --json: one document, its connections written as they end (memory follows the live connections, not the
 * capture), the summary after them (it is only known once they are all read).
 */
import type { EndedConnection } from '../../capture/ended.ts';
import type { CaptureResult } from '../../capture/pipeline.ts';
import { writeConnectionJson } from '../../capture/record-json.ts';
import type { Timeline } from '../../capture/timeline.ts';
import { connState } from '../../capture/zeek.ts';
import { JsonDocumentWriter } from '../../render/json-document.ts';
import type { TextBytes } from '../../render/text-bytes.ts';
import { type PacedOutput, pacedText } from '../output.ts';
import { type CaptureSink, summaryDoc, Tally, writeSvg } from './sink.ts';

/** The indentation of the connections array's items in the document. */
const ITEM_PAD = '    ';

export class JsonSink implements CaptureSink {
  private readonly tally = new Tally();
  private readonly doc: JsonDocumentWriter;
  private readonly text: TextBytes;
  private readonly timeline: Timeline | undefined;
  private readonly svg: string | undefined;

  constructor(out: PacedOutput, source: string, timeline: Timeline | undefined, svg: string | undefined) {
    this.timeline = timeline;
    this.svg = svg;
    const text = pacedText(out);
    this.text = text;
    // The document's own text goes into the same bytes as the records, in order.
    this.doc = new JsonDocumentWriter((chunk) => {
      if (typeof chunk === 'string') {
        text.text(chunk);
      } else {
        text.flush();
        out.write(chunk);
      }
      return false;
    }, 0);
    this.doc.field('schema', 'tcpstate.capture/1');
    this.doc.field('source', source);
    this.doc.openArray('connections');
  }

  connection(conn: EndedConnection): void {
    const state = connState(conn);
    this.tally.add(conn, state);
    this.doc.nextItem();
    writeConnectionJson(this.text, conn, state, ITEM_PAD);
  }

  finish(result: CaptureResult): void {
    const doc = this.doc;
    doc.closeArray();
    const { source: _source, connections: _count, ...summary } = summaryDoc(result, this.tally);
    for (const [key, value] of Object.entries(summary)) doc.field(key, value);
    if (this.timeline) doc.field('timeline', this.timeline.series());
    doc.end();
    this.text.flush();
    if (this.svg && this.timeline) writeSvg(this.svg, this.timeline, result);
  }
}
