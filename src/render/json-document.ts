/**
 * Writes one JSON document field by field, with one array whose items are written as they come: the output is
 * exactly `JSON.stringify(doc, null, 2)`, but no step holds the whole document. A capture's `--json` can hold
 * hundreds of thousands of connections, and as one string it passed V8's string limit (~512 MB).
 */
export class JsonDocumentWriter {
  private pending = '';
  private fields = 0;
  private items = 0;
  private readonly write: (text: string) => void;
  private readonly flushAt: number;

  constructor(write: (text: string) => void, flushAt = 1 << 16) {
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
  openArray(key: string): void {
    this.key(key);
    this.pending += '[';
    this.items = 0;
  }

  item(value: unknown): void {
    this.pending += `${this.items++ === 0 ? '\n' : ',\n'}    ${indent(JSON.stringify(value, null, 2) ?? 'null', '    ')}`;
    if (this.pending.length >= this.flushAt) this.flush();
  }

  closeArray(): void {
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
