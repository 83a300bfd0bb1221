/**
 * --json: one document, its connections written as they end (memory follows the live connections, not the
 * capture), the summary after them (it is only known once they are all read).
 */
import type { EndedConnection } from '../../capture/ended.ts';
import type { CaptureResult } from '../../capture/pipeline.ts';
import { connectionRecord } from '../../capture/record.ts';
import type { Timeline } from '../../capture/timeline.ts';
import { JsonDocumentWriter } from '../../render/json-document.ts';
import type { PacedOutput } from '../output.ts';
import { type CaptureSink, summaryDoc, Tally, writeSvg } from './sink.ts';

export class JsonSink implements CaptureSink {
  private readonly tally = new Tally();
  private readonly doc: JsonDocumentWriter;
  private readonly timeline: Timeline | undefined;
  private readonly svg: string | undefined;

  constructor(out: PacedOutput, source: string, timeline: Timeline | undefined, svg: string | undefined) {
    this.timeline = timeline;
    this.svg = svg;
    this.doc = new JsonDocumentWriter((text) => out.write(text));
    this.doc.field('schema', 'tcpstate.capture/1');
    this.doc.field('source', source);
    this.doc.openArray('connections');
  }

  connection(conn: EndedConnection): void {
    this.tally.add(conn);
    this.doc.item(connectionRecord(conn));
  }

  finish(result: CaptureResult): void {
    const doc = this.doc;
    doc.closeArray();
    const { source: _source, connections: _count, ...summary } = summaryDoc(result, this.tally);
    for (const [key, value] of Object.entries(summary)) doc.field(key, value);
    if (this.timeline) doc.field('timeline', this.timeline.series());
    doc.end();
    if (this.svg && this.timeline) writeSvg(this.svg, this.timeline, result);
  }
}
