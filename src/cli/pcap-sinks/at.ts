/**
 * --at TIME: the sockets every endpoint had at one moment, printed as a snapshot (any of the view's formats).
 * Connections are taken as they end and not kept: when TIME is relative to the first packet it is known with the
 * first connection; `end` is known only at the end, and the collector keeps only the sides still open meanwhile.
 */
import { AtCollector } from '../../capture/at.ts';
import type { EndedConnection } from '../../capture/ended.ts';
import type { CaptureResult } from '../../capture/pipeline.ts';
import type { TrackerStats } from '../../capture/tracker.ts';
import { UsageError } from '../../errors.ts';
import { duration } from '../../render/capture-text.ts';
import type { PacedOutput } from '../output.ts';
import { emitSnapshot, type ViewOptions } from '../view.ts';
import type { CaptureSink } from './sink.ts';

/** `--at`: epoch seconds, an ISO date, `+S` seconds after the first packet, or `end`. */
export function parseAt(text: string, first: number, last: number): number {
  if (text === 'end') return last;
  if (text.startsWith('+')) {
    const n = Number(text.slice(1));
    if (Number.isFinite(n)) return first + n;
  } else if (/^\d+(\.\d+)?$/.test(text)) {
    return Number(text);
  } else if (/^\d{4}-\d\d-\d\d/.test(text)) {
    // Only ISO dates: Date.parse alone takes '-5' for a day in 2001.
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  throw new UsageError(`--at: '${text}' is not a time (use +SECONDS, epoch seconds, an ISO date or 'end')`);
}

export class AtSink implements CaptureSink {
  private readonly text: string;
  private readonly options: ViewOptions;
  private readonly out: PacedOutput;
  private collector: AtCollector | undefined;

  constructor(out: PacedOutput, text: string, options: ViewOptions) {
    this.out = out;
    this.text = text;
    this.options = options;
    // Checked before reading: a mistyped time should not cost reading a large capture first.
    parseAt(text, 0, 0);
  }

  connection(conn: EndedConnection, stats: TrackerStats): void {
    if (this.collector === undefined) {
      this.collector = new AtCollector(
        this.text === 'end' ? undefined : parseAt(this.text, stats.first, Number.POSITIVE_INFINITY),
      );
    }
    this.collector.add(conn.connection(), stats.last);
  }

  async finish(result: CaptureResult): Promise<void> {
    const first = result.tracker.first;
    const last = result.tracker.last;
    const collector = this.collector ?? new AtCollector(parseAt(this.text, first, last));
    const t = collector.time ?? parseAt(this.text, first, last);
    if (collector.time === undefined) collector.setTime(t);
    warnOutside(this.text, t, first, last);
    const snapshot = collector.snapshot(result.source);
    snapshot.warnings.push(...result.warnings);
    await emitSnapshot(snapshot, this.options, { out: this.out.stream as NodeJS.WriteStream });
  }
}

/** `--at` before the first packet or after the last one is allowed, but what it shows there is not observed. */
function warnOutside(text: string, t: number, first: number, last: number): void {
  if (Number.isNaN(first)) return;
  if (t < first) {
    process.stderr.write(
      `tcpstate: --at ${text} is ${duration(first - t)} before the capture's first packet: nothing was seen yet\n`,
    );
  } else if (t > last) {
    process.stderr.write(
      `tcpstate: --at ${text} is ${duration(t - last)} after the capture's last packet: the states shown are what the timers imply, not observed\n`,
    );
  }
}
