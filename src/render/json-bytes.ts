/**
 * Writes JSON straight into bytes: the same text `JSON.stringify` makes, without building strings first. For a
 * 100k-socket document (~23 MB) stringifying and then encoding the strings cost more than reading /proc; writing
 * the bytes here, in one flushed buffer, makes no garbage at all.
 *
 * Plain data only: objects, arrays, strings, numbers, booleans, null. Anything else (an object with `toJSON`, a
 * class instance, a bigint) goes through `JSON.stringify`, so the output is always what it would have given.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX_DIGITS = '0123456789abcdef';
/** Short escapes JSON.stringify uses; the other control characters become \u00XX. */
const SHORT_ESCAPES: Record<number, number> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };

/** Encoded `"key":` per object key seen; keys repeat on every row, so each is encoded once. */
const KEY_CACHE_LIMIT = 1024;

export class JsonByteWriter {
  private readonly keys = new Map<string, Uint8Array>();
  private buf: Buffer;
  /** Where the next byte goes in the buffer `reserve` returns (writers that format into it move it on). */
  pos = 0;
  private readonly size: number;
  private readonly flushTo: (chunk: Buffer) => boolean | undefined;

  /**
   * `flush` receives each full buffer and returns whether it is done with it (then the buffer is reused: fresh
   * memory costs a page fault per 4 KiB, which for a 20 MB document is a noticeable share of the time) or keeps it
   * (a new one is made for what follows).
   */
  constructor(flush: (chunk: Buffer) => boolean | undefined, size = 1 << 20) {
    this.size = size;
    this.buf = Buffer.allocUnsafe(size);
    this.flushTo = flush;
  }

  /** Hands over what is buffered. */
  flush(): void {
    if (this.pos === 0) return;
    const done = this.flushTo(this.buf.subarray(0, this.pos));
    if (done !== true || this.buf.length !== this.size) this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
  }

  private room(bytes: number): void {
    if (this.pos + bytes > this.buf.length) {
      this.flush();
      if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
    }
  }

  /**
   * Room for `bytes` more bytes from `pos`, in the buffer returned: for a writer that formats straight into it and
   * then sets `pos` past what it wrote (the buffer changes after any other call).
   */
  reserve(bytes: number): Uint8Array {
    this.room(bytes);
    return this.buf;
  }

  /** Text known to be ASCII JSON syntax (punctuation, indentation, a pre-made fragment). */
  raw(text: string): void {
    this.room(text.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  /** Bytes already encoded. */
  bytes(chunk: Uint8Array): void {
    this.room(chunk.length);
    this.buf.set(chunk, this.pos);
    this.pos += chunk.length;
  }

  /** A value, as `JSON.stringify(value)` would write it (undefined: nothing, as at the top level). */
  value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.number(value);
        return;
      case 'boolean':
        this.raw(value ? 'true' : 'false');
        return;
      case 'object':
        if (value === null) this.raw('null');
        else if (Array.isArray(value)) this.array(value);
        else if (isPlain(value)) this.object(value as Record<string, unknown>);
        else this.fallback(value);
        return;
      default:
        if (value !== undefined && typeof value !== 'function' && typeof value !== 'symbol')
          this.fallback(value);
    }
  }

  private fallback(value: unknown): void {
    const text = JSON.stringify(value);
    if (text !== undefined) this.bytes(Buffer.from(text, 'utf8'));
  }

  private array(items: readonly unknown[]): void {
    this.raw('[');
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.raw(',');
      const item = items[i];
      // In arrays, JSON.stringify writes null where a value cannot be represented.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') this.raw('null');
      else this.value(item);
    }
    this.raw(']');
  }

  private object(object: Record<string, unknown>): void {
    this.raw('{');
    let first = true;
    for (const key in object) {
      const item = object[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      if (!first) this.raw(',');
      first = false;
      this.key(key);
      this.value(item);
    }
    this.raw('}');
  }

  private key(key: string): void {
    let encoded = this.keys.get(key);
    if (encoded === undefined) {
      this.room(key.length * 6 + 3); // so no flush happens between here and the slice below
      const start = this.pos;
      this.string(key);
      this.raw(':');
      if (this.keys.size >= KEY_CACHE_LIMIT) return;
      encoded = Uint8Array.prototype.slice.call(this.buf, start, this.pos);
      this.keys.set(key, encoded);
      return;
    }
    this.room(encoded.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < encoded.length; i++) buf[p++] = encoded[i]!;
    this.pos = p;
  }

  /** A number as JSON.stringify writes it (null when not finite). */
  number(n: number): void {
    if (Number.isInteger(n) && n >= 0 && n <= 0x7fffffff) {
      this.room(10);
      const buf = this.buf;
      if (n < 10) {
        buf[this.pos++] = 48 + n;
        return;
      }
      let digits = 0;
      for (let m = n; m > 0; m = (m / 10) | 0) digits++;
      let p = this.pos + digits;
      this.pos = p;
      for (let m = n; m > 0; m = (m / 10) | 0) buf[--p] = 48 + (m % 10);
      return;
    }
    this.raw(Number.isFinite(n) ? String(n) : 'null');
  }

  /** A string, quoted and escaped as JSON.stringify escapes it. */
  string(s: string): void {
    // Worst case 6 bytes per UTF-16 unit (\uXXXX), plus the quotes.
    this.room(s.length * 6 + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x80) {
        if (c === QUOTE || c === BACKSLASH) buf[p++] = BACKSLASH;
        buf[p++] = c;
      } else if (c < 0x20) {
        buf[p++] = BACKSLASH;
        const short = SHORT_ESCAPES[c];
        if (short !== undefined) {
          buf[p++] = short;
        } else {
          buf[p++] = 0x75; // u
          buf[p++] = 48;
          buf[p++] = 48;
          buf[p++] = HEX_DIGITS.charCodeAt(c >> 4);
          buf[p++] = HEX_DIGITS.charCodeAt(c & 15);
        }
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 63);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          buf[p++] = 0xf0 | (cp >> 18);
          buf[p++] = 0x80 | ((cp >> 12) & 63);
          buf[p++] = 0x80 | ((cp >> 6) & 63);
          buf[p++] = 0x80 | (cp & 63);
          i++;
        } else {
          // A lone surrogate: JSON.stringify escapes it (well-formed JSON.stringify, ES2019).
          buf[p++] = BACKSLASH;
          buf[p++] = 0x75;
          for (let shift = 12; shift >= 0; shift -= 4) buf[p++] = HEX_DIGITS.charCodeAt((c >> shift) & 15);
        }
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 63);
        buf[p++] = 0x80 | (c & 63);
      }
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !('toJSON' in value);
}
