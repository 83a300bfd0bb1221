/** --zeek: a Zeek conn.log, a line per connection as it ends. */
import type { EndedConnection } from '../../capture/ended.ts';
import { zeekFooter, zeekHeader, zeekLine } from '../../capture/record.ts';
import type { PacedOutput } from '../output.ts';
import type { CaptureSink } from './sink.ts';

/** Lines joined into one write: a write per line costs more than the line. */
const BATCH = 1024;

export class ZeekSink implements CaptureSink {
  private lines: string[] = [];
  private readonly out: PacedOutput;

  constructor(out: PacedOutput) {
    this.out = out;
    out.write(`${zeekHeader(new Date())}\n`);
  }

  connection(conn: EndedConnection): void {
    this.lines.push(zeekLine(conn));
    if (this.lines.length >= BATCH) this.flush();
  }

  finish(): void {
    this.flush();
    this.out.write(`${zeekFooter(new Date())}\n`);
  }

  private flush(): void {
    if (this.lines.length > 0) this.out.write(`${this.lines.join('\n')}\n`);
    this.lines = [];
  }
}
