/** The default output: the capture's summary, then the first connections as a table or as stories. */
import type { EndedConnection } from '../../capture/ended.ts';
import type { CaptureResult } from '../../capture/pipeline.ts';
import { type ConnectionRecord, connectionRecord } from '../../capture/record.ts';
import type { Timeline } from '../../capture/timeline.ts';
import {
  connectionRow,
  renderConnectionTable,
  renderStory,
  renderSummary,
} from '../../render/capture-text.ts';
import { sparklines } from '../../render/capture-timeline.ts';
import type { Colors } from '../../render/color.ts';
import type { PacedOutput } from '../output.ts';
import { type CaptureSink, Tally, writeSvg } from './sink.ts';

export interface SummaryOptions {
  /** Connections listed (Infinity for --all). */
  limit: number;
  /** Tell each listed connection as a story; undefined: when there are at most 10. */
  story: boolean | undefined;
  timeline: Timeline | undefined;
  svg: string | undefined;
}

export class SummarySink implements CaptureSink {
  private readonly tally = new Tally();
  /** Records of the connections listed, made while each connection is at hand (bounded by the limit). */
  private readonly records: ConnectionRecord[] = [];
  private total = 0;
  private readonly out: PacedOutput;
  private readonly c: Colors;
  private readonly options: SummaryOptions;

  constructor(out: PacedOutput, c: Colors, options: SummaryOptions) {
    this.out = out;
    this.c = c;
    this.options = options;
  }

  connection(conn: EndedConnection): void {
    this.total++;
    this.tally.add(conn);
    if (this.records.length < this.options.limit) this.records.push(connectionRecord(conn));
  }

  finish(result: CaptureResult): void {
    const { c, records, options } = this;
    const origin = result.tracker.first;
    const text: string[] = [renderSummary(result, this.tally.connStates, this.tally.anomalies, c), ''];
    records.sort((a, b) => a.id - b.id);
    if (options.story ?? this.total <= 10) {
      for (const rec of records) text.push(renderStory(rec, origin, c), '');
    } else if (records.length > 0) {
      text.push(renderConnectionTable(records.map((r) => connectionRow(r, origin, c))));
    }
    if (this.total > records.length) {
      text.push(
        c.dim(`(${records.length} of ${this.total} connections shown; --all for every one, --limit N)`),
      );
    }
    const timeline = options.timeline;
    if (timeline) {
      text.push('', c.bold('Endpoint states over time'), ...sparklines(timeline));
      if (options.svg) writeSvg(options.svg, timeline, result);
    }
    this.out.write(`${text.join('\n').trimEnd()}\n`);
  }
}
