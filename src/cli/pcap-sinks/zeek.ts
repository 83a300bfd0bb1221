/** --zeek: a Zeek conn.log, a line per connection as it ends. */
import type { EndedConnection } from '../../capture/ended.ts';
import { zeekFooter, zeekHeader } from '../../capture/record.ts';
import { writeZeekLine } from '../../capture/zeek-log.ts';
import type { TextBytes } from '../../render/text-bytes.ts';
import { type PacedOutput, pacedText } from '../output.ts';
import type { CaptureSink } from './sink.ts';

export class ZeekSink implements CaptureSink {
  private readonly text: TextBytes;

  constructor(out: PacedOutput) {
    this.text = pacedText(out);
    // The header goes out at once: a conn.log being written (a live capture on stdin) is readable from the start.
    this.text.line(zeekHeader(new Date()));
    this.text.flush();
  }

  connection(conn: EndedConnection): void {
    writeZeekLine(this.text, conn);
  }

  finish(): void {
    this.text.line(zeekFooter(new Date()));
    this.text.flush();
  }
}
