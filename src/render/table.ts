import { createRequire } from 'node:module';

// cli-table3 (and @colors, string-width) only for boxed tables: the main view's tables are plain, and evaluating
// the library was a visible part of the view's start-up. A require() the bundler still bundles, evaluated on first use.
const require = createRequire(import.meta.url);
let boxed: typeof import('cli-table3') | undefined;

export interface TableOptions {
  head: string[];
  /** Column alignment; numbers read best right-aligned. */
  align?: Array<'left' | 'right' | 'center'>;
  /** Plain (no box): aligned columns separated by two spaces, like ss and netstat. */
  plain?: boolean;
}

/**
 * Renders rows as a table. cli-table3 draws borders with ANSI colours even when piped, so its styles are
 * cleared here and colour is left to the caller's cells.
 */
export function renderTable(
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  options: TableOptions,
): string {
  if (options.plain) return renderPlain(rows, options);
  boxed ??= require('cli-table3') as typeof import('cli-table3');
  const table = new boxed({
    head: options.head,
    style: { head: [], border: [], compact: true },
    colAligns: options.align ?? [],
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}

// Visible width: ANSI colour codes take no room on screen.
const ANSI = /\x1b\[[0-9;]*m/g;
export function visibleWidth(text: string): number {
  return text.indexOf('\x1b') === -1 ? text.length : text.replace(ANSI, '').length;
}

/**
 * A plain table laid out in two passes: `measure` every row, then `line` each (the same rows, in any order), so a
 * long listing can be written a slice at a time without holding its rows. Columns are padded to their widest cell,
 * two spaces apart, trailing blanks trimmed; each cell is measured once per pass and each row written as one string.
 */
export class PlainTable {
  private readonly widths: number[];
  private readonly right: boolean[];
  private readonly pads: string[] = [''];

  constructor(options: TableOptions) {
    this.widths = options.head.map((h) => visibleWidth(h));
    this.right = options.head.map((_, i) => options.align?.[i] === 'right');
  }

  measure(row: ReadonlyArray<string | number>): void {
    const widths = this.widths;
    for (let i = 0; i < widths.length; i++) {
      const w = visibleWidth(String(row[i] ?? ''));
      if (w > widths[i]!) widths[i] = w;
    }
  }

  line(row: ReadonlyArray<string | number>): string {
    let text = '';
    for (let i = 0; i < row.length; i++) {
      const cell = String(row[i]);
      const fill = this.pad((this.widths[i] ?? 0) - visibleWidth(cell));
      if (i > 0) text += '  ';
      text += this.right[i] ? fill + cell : cell + fill;
    }
    return text.trimEnd();
  }

  private pad(n: number): string {
    if (n <= 0) return '';
    for (let k = this.pads.length; k <= n; k++) this.pads.push(' '.repeat(k));
    return this.pads[n]!;
  }
}

function renderPlain(rows: ReadonlyArray<ReadonlyArray<string | number>>, options: TableOptions): string {
  const table = new PlainTable(options);
  for (const row of rows) table.measure(row);
  const lines: string[] = new Array(rows.length + 1);
  lines[0] = table.line(options.head);
  for (let r = 0; r < rows.length; r++) lines[r + 1] = table.line(rows[r]!);
  return lines.join('\n');
}
