import { TextBytes } from '../render/text-bytes.ts';

/**
 * Output written with backpressure. write() never blocks (stdout into a pipe is asynchronous in Node: what the
 * reader has not taken waits in memory); the producer asks ready() at its own pace, between chunks of input, and
 * waits while the stream holds more than its high-water mark. So memory stays bounded however slow the reader is
 * (`tcpstate pcap big.pcap --json | jq`).
 */
export class PacedOutput {
  readonly stream: NodeJS.WritableStream;
  private waiting: Promise<void> | undefined;

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream;
  }

  /**
   * Writes; says whether the stream is done with the chunk (nothing queued: stdout into a file, or a pipe with
   * room, takes it at once), so a buffer can be reused.
   */
  write(chunk: string | Uint8Array): boolean {
    if (!this.stream.write(chunk) && this.waiting === undefined) {
      this.waiting = drained(this.stream).then(() => {
        this.waiting = undefined;
      });
    }
    return (this.stream as { writableLength?: number }).writableLength === 0;
  }

  /** Writes a long text in slices, waiting for the reader between them. */
  async writeText(text: string, slice = 1 << 20): Promise<void> {
    for (let i = 0; i < text.length; i += slice) {
      this.write(text.slice(i, i + slice));
      await this.ready();
    }
  }

  /** A promise while the stream is over its high-water mark (resolved once it drains or closes), else undefined. */
  ready(): Promise<void> | undefined {
    return this.waiting;
  }

  /** Resolves once everything written so far has been taken. */
  async flushed(): Promise<void> {
    while (this.waiting !== undefined) await this.waiting;
  }
}

/** Resolves on 'drain', or on 'close'/'error' (a reader that went away: the write's own error reports that). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** Text written as bytes in large chunks (TextBytes) to a paced output, whose backpressure it leaves to the caller. */
export function pacedText(out: PacedOutput): TextBytes {
  return new TextBytes((chunk) => out.write(chunk));
}
