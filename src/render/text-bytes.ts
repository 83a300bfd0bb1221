/**
 * Text written straight into bytes (UTF-8), handed on in large chunks: one write per ~64 KiB instead of one per
 * line, and no long string built first. Joining the lines into a string and encoding it at the write measured
 * several times dearer than writing the bytes here: a string made of many pieces has to be flattened (copied) and
 * then encoded (copied again), and the pieces are garbage.
 */
export class TextBytes {
  /** The buffer being filled, and where the next byte goes: writers of many small pieces fill it directly. */
  buf: Buffer;
  pos = 0;
  private readonly chunk: number;
  private readonly flushTo: (chunk: Buffer) => boolean;

  /**
   * `flush` receives each chunk and says whether it is done with it (then the buffer is reused) or keeps it (a
   * stream still queueing it for a slow reader: the next text goes into a new buffer).
   */
  constructor(flush: (chunk: Buffer) => boolean, chunk = 1 << 16) {
    this.chunk = chunk;
    this.flushTo = flush;
    this.buf = Buffer.allocUnsafe(2 * chunk);
  }

  /** Makes room for `bytes` more bytes after pos. */
  room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.flush();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes + this.chunk);
  }

  /** Hands a chunk on once the buffer holds one (call after each record). */
  done(): void {
    if (this.pos >= this.chunk) this.flush();
  }

  /** Hands on what is gathered. */
  flush(): void {
    if (this.pos === 0) return;
    const kept = !this.flushTo(this.buf.subarray(0, this.pos));
    if (kept || this.buf.length !== 2 * this.chunk) this.buf = Buffer.allocUnsafe(2 * this.chunk);
    this.pos = 0;
  }

  /** Any text. */
  text(s: string): void {
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Text and a newline, as a whole record. */
  line(s: string): void {
    this.room(3 * s.length + 1);
    this.pos += this.buf.write(s, this.pos);
    this.buf[this.pos++] = 0x0a;
    this.done();
  }

  /** Text known to be ASCII (numbers, addresses, names), copied unit by unit. */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Pre-encoded bytes (the fixed text of a format). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  /** A number as `String(n)` (and JSON.stringify, for finite numbers) writes it. */
  number(n: number): void {
    if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) this.digits(n);
    else if (n > 0 && n < 2 ** 53 && Math.floor(n) === n) this.bigDigits(n);
    else this.ascii(`${n}`);
  }

  /** A whole number 0 ≤ n < 2^31, digit by digit (no string). */
  private digits(n: number): void {
    let width = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) width++;
    this.room(width);
    const buf = this.buf;
    let p = this.pos + width;
    this.pos = p;
    let m = n;
    do {
      const q = (m / 10) | 0;
      buf[--p] = 48 + (m - q * 10);
      m = q;
    } while (m > 0);
  }

  /** A whole number below 2^53 (there m / 10 rounds to no more than its quotient plus 0.9625: floor is exact). */
  private bigDigits(n: number): void {
    let width = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) width++;
    this.room(width);
    const buf = this.buf;
    let p = this.pos + width;
    this.pos = p;
    let m = n;
    do {
      const q = Math.floor(m / 10);
      buf[--p] = 48 + (m - q * 10);
      m = q;
    } while (m > 0);
  }
}
