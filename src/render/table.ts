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
  return text.replace(ANSI, '').length;
}

function renderPlain(rows: ReadonlyArray<ReadonlyArray<string | number>>, options: TableOptions): string {
  const all = [options.head, ...rows.map((r) => r.map(String))];
  // A loop, not Math.max(...column): spreading 125,000 rows into arguments overflows the stack.
  const widths = options.head.map(() => 0);
  for (const row of all) {
    for (let i = 0; i < widths.length; i++) {
      const w = visibleWidth(String(row[i] ?? ''));
      if (w > widths[i]!) widths[i] = w;
    }
  }
  return all
    .map((row) =>
      row
        .map((cell, i) => {
          const text = String(cell);
          const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(text)));
          return options.align?.[i] === 'right' ? pad + text : text + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
