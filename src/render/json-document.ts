import { JsonByteWriter } from './json-bytes.ts';

/**
 * How an array's items are laid out: `pretty` as `JSON.stringify(doc, null, 2)` nests them; `line`, one item per
 * line (compact, written straight into bytes: for 100k sockets pretty-printing each on ~20 lines into strings
 * cost more than reading them), still one valid JSON value.
 */
export type ItemLayout = 'pretty' | 'line';

/**
 * Writes one JSON document field by field, with one array whose items are written as they come: with `pretty`
 * items the output is exactly `JSON.stringify(doc, null, 2)`, but no step holds the whole document. A capture's
 * `--json` can hold hundreds of thousands of connections, and as one string it passed V8's string limit
 * (~512 MB). The one JSON streamer of the command line: captures' documents and snapshots' (`line` items).
 */
export class JsonDocumentWriter {
  private pending = '';
  private fields = 0;
  private items = 0;
  private layout: ItemLayout = 'pretty';
  private bytes: JsonByteWriter | undefined;
  private readonly write: (chunk: string | Buffer) => boolean | undefined;
  private readonly flushAt: number;

  /** `write` says whether it is done with a Buffer it was given (then the buffer is reused). */
  constructor(write: (chunk: string | Buffer) => boolean | undefined, flushAt = 1 << 16) {
    this.write = write;
    this.flushAt = flushAt;
  }

  /** A field of the document; skipped when undefined, as JSON.stringify skips it. */
  field(key: string, value: unknown): void {
    const json = JSON.stringify(value, null, 2) as string | undefined;
    if (json === undefined) return;
    this.key(key);
    this.pending += indent(json, '  ');
  }

  /** Opens an array field; item() adds to it until closeArray(). */
  openArray(key: string, layout: ItemLayout = 'pretty'): void {
    this.key(key);
    this.pending += '[';
    this.items = 0;
    this.layout = layout;
  }

  item(value: unknown): void {
    if (this.layout === 'line') {
      this.lineItem().value(value);
      return;
    }
    const separator = this.items++ === 0 ? '\n    ' : ',\n    ';
    this.pending += `${separator}${indent(JSON.stringify(value, null, 2) ?? 'null', '    ')}`;
    if (this.pending.length >= this.flushAt) this.flush();
  }

  /**
   * Starts the next item of a `line` array and returns the writer to write its one JSON value with (a writer that
   * formats straight from its own data, as the netlink table's does).
   */
  lineItem(): JsonByteWriter {
    if (this.layout !== 'line') throw new Error('lineItem(): the open array is not laid out by line');
    this.flush();
    this.bytes ??= new JsonByteWriter((chunk) => this.write(chunk));
    this.bytes.raw(this.items++ === 0 ? '\n    ' : ',\n    ');
    return this.bytes;
  }

  /**
   * Starts a `pretty` item the caller writes itself, right after this (through the same output), as item() would
   * write it: its lines after the first indented by four spaces.
   */
  nextItem(): void {
    this.pending += this.items++ === 0 ? '\n    ' : ',\n    ';
    this.flush();
  }

  closeArray(): void {
    this.bytes?.flush();
    this.pending += this.items === 0 ? ']' : '\n  ]';
  }

  /** Closes the document (and a trailing newline, as the CLI prints it). */
  end(): void {
    this.pending += this.fields === 0 ? '{}\n' : '\n}\n';
    this.flush();
  }

  private key(key: string): void {
    this.pending += `${this.fields++ === 0 ? '{\n' : ',\n'}  ${JSON.stringify(key)}: `;
  }

  private flush(): void {
    if (this.pending.length > 0) this.write(this.pending);
    this.pending = '';
  }
}

/** Re-indents a JSON.stringify(…, null, 2) text nested `pad` deeper (newlines inside strings are escaped). */
function indent(json: string, pad: string): string {
  return json.includes('\n') ? json.replaceAll('\n', `\n${pad}`) : json;
}
