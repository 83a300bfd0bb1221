import { type Command, Option } from '@commander-js/extra-typings';
import type { FilterOptions } from '../analysis/filter.ts';
import { GROUP_KEYS, type GroupKey } from '../analysis/groups.ts';
import { parseSortKey, type SortKey } from '../analysis/sort.ts';
import { type SnapshotView, type ViewSpec, viewOf } from '../analysis/view.ts';
import { diagnose } from '../diagnose/index.ts';
import { UsageError } from '../errors.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';
import { colorsFor } from '../render/color.ts';
import { renderFindings } from '../render/findings.ts';
import { JsonByteWriter } from '../render/json-bytes.ts';
import { JsonDocumentWriter } from '../render/json-document.ts';
import { snapshotDocumentHead, writeSocketJson } from '../render/snapshot-json.ts';
import { renderSnapshotText } from '../render/snapshot-text.ts';
import { csvRows, listingCells, socketsCsv } from '../render/socket-rows.ts';
import { PlainTable } from '../render/table.ts';
import type { Lang } from '../states/explain/types.ts';
import { NAME_STYLES, type NameStyle } from '../states/states.ts';
import { addFilterOptions, positiveInt } from './filter-options.ts';
import { PacedOutput } from './output.ts';
import { outputWidth } from './width.ts';

/** Output and filter flags shared by `tcpstate` and `tcpstate analyze` (and anything else that shows a snapshot). */
export interface ViewOptions {
  json?: boolean;
  ndjson?: boolean;
  csv?: boolean;
  listing?: boolean;
  state?: string[];
  exclude?: string[];
  port?: number[];
  process?: string;
  filter?: string;
  sort?: string;
  top?: number;
  names?: NameStyle;
  /** `--by`: more group tables. */
  by?: GroupKey[];
  /** `-i` (the live view): tcp_info and cgroup in the listing. */
  info?: boolean | undefined;
}

export function addViewOptions<
  C extends Command<unknown[], Record<string, unknown>, Record<string, unknown>>,
>(command: C): C {
  command
    .option('--json', 'print one JSON document (schema tcpstate.snapshot/1, see docs/json.md)')
    .option('--ndjson', 'print one JSON object per socket per line')
    .option('--csv', 'print one CSV row per socket')
    .option('-l, --listing', 'list every socket, like ss -tanop');
  addFilterOptions(command, 'sockets')
    .option(
      '--sort <key>',
      'sort the listing by state, local, remote, port, recv-q, send-q, timer or process',
    )
    .addOption(
      new Option(
        '--by <key>',
        'another group table (repeatable): cgroup (netlink), destination, local-port, remote-port',
      )
        .choices(GROUP_KEYS)
        .argParser((value: string, previous: GroupKey[] | undefined) => {
          if (!(GROUP_KEYS as readonly string[]).includes(value)) {
            throw new UsageError(`--by: '${value}' is not one of ${GROUP_KEYS.join(', ')}`);
          }
          return [...(previous ?? []), value as GroupKey];
        }),
    )
    .option('--top <n>', 'rows in each group table (default 5; 10 in JSON)', positiveInt('--top'))
    .addOption(
      new Option('--names <style>', 'how state names are printed')
        .choices(NAME_STYLES)
        .default('rfc' as const),
    );
  return command;
}

/** The view the filter and sort flags ask for. */
export function viewSpec(options: ViewOptions): ViewSpec {
  const filter: FilterOptions = {
    ...(options.state ? { states: options.state } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(options.port ? { ports: options.port } : {}),
    ...(options.process ? { process: options.process } : {}),
    ...(options.filter ? { expression: options.filter } : {}),
  };
  const sort: SortKey | undefined = options.sort ? parseSortKey(options.sort) : undefined;
  return { filter, ...(sort ? { sort } : {}) };
}

export interface EmitExtras {
  findings?: Finding[];
  renderFindings?: (findings: readonly Finding[]) => string;
  out?: NodeJS.WriteStream;
}

/** Whether the output shows groups (the main view and --json); listings and rows do not need them computed. */
function showsGroups(options: ViewOptions): boolean {
  return !(options.ndjson || options.csv || options.listing);
}

/**
 * The main view of a snapshot with its diagnosis (unless `--no-findings`), the findings rendered for this terminal
 * in the asked language: what `tcpstate` and `tcpstate analyze` print. Under a filter the findings follow it: the
 * rules judge the sockets in view, with the whole table as context (listeners, owners, counters).
 */
export function emitWithFindings(
  snapshot: Snapshot,
  options: ViewOptions & { findings?: boolean; lang: Lang },
  previous?: Snapshot,
): Promise<void> {
  checkOneFormat(options);
  const view = viewOf(snapshot, viewSpec(options), { groups: showsGroups(options) });
  const findings = options.findings
    ? diagnose(snapshot, view.filtered ? { within: view.sockets } : {}, previous)
    : undefined;
  return emitView(view, options, {
    ...(findings ? { findings } : {}),
    renderFindings: (list) =>
      renderFindings(list, {
        colors: colorsFor(process.stdout),
        lang: options.lang,
        width: outputWidth(process.stdout),
      }),
  });
}

/** Prints a snapshot in the format the flags ask for. */
export function emitSnapshot(
  snapshot: Snapshot,
  options: ViewOptions,
  extras: EmitExtras = {},
): Promise<void> {
  checkOneFormat(options);
  return emitView(viewOf(snapshot, viewSpec(options), { groups: showsGroups(options) }), options, extras);
}

function checkOneFormat(options: ViewOptions): void {
  const formats = [options.json, options.ndjson, options.csv, options.listing].filter(Boolean).length;
  if (formats > 1) throw new UsageError('choose one of --json, --ndjson, --csv, --listing');
}

/** Sockets written between two looks at the output's backpressure. */
const SLICE = 4096;

/**
 * Prints an analysed view: every format below only formats what `view` holds. The streaming formats (--json,
 * --ndjson, --csv, -l) are written a slice at a time, waiting while the output is backed up, so a slow reader of
 * a 1M-socket listing does not make the whole of it wait in memory.
 */
export async function emitView(
  view: SnapshotView,
  options: ViewOptions,
  extras: EmitExtras = {},
): Promise<void> {
  const stream = extras.out ?? process.stdout;
  const out = new PacedOutput(stream);
  const names = options.names ?? 'rfc';
  if (options.json) {
    const head = snapshotDocumentHead(view, {
      ...(extras.findings ? { findings: extras.findings } : {}),
      top: options.top ?? 10,
      ...(options.by ? { by: options.by } : {}),
    });
    // The sockets go last, one per line: still one valid JSON value, readable, and far cheaper than
    // pretty-printing 100k sockets (each on ~20 lines) into one 40 MB string. Each is built from the view's table
    // as it is written (a netlink snapshot's straight from its records, with no object), so none of them is kept.
    const table = view.table;
    const doc = new JsonDocumentWriter((chunk) => out.write(chunk));
    for (const [key, value] of Object.entries(head)) doc.field(key, value);
    doc.openArray('sockets', 'line');
    for (let i = 0; i < table.length; i++) {
      writeSocketJson(table, i, doc.lineItem());
      if (i % SLICE === SLICE - 1) await out.ready();
    }
    doc.closeArray();
    doc.end();
  } else if (options.ndjson) {
    const table = view.table;
    const w = new JsonByteWriter((chunk) => out.write(chunk));
    for (let i = 0; i < table.length; i++) {
      writeSocketJson(table, i, w);
      w.raw('\n');
      if (i % SLICE === SLICE - 1) await out.ready();
    }
    w.flush();
  } else if (options.csv) {
    // A slice of sockets at a time from the table, none kept (view.sockets would build and keep all of them).
    const table = view.table;
    out.write(socketsCsv([], names));
    for (let i = 0; i < table.length; i += SLICE) {
      const slice: Socket[] = [];
      for (let k = i; k < Math.min(i + SLICE, table.length); k++) slice.push(table.socket(k));
      out.write(csvRows(slice, names));
      await out.ready();
    }
  } else if (options.listing) {
    // Two passes over the table: the columns' widths, then the rows a slice at a time. Each row's cells are made
    // twice rather than all of them kept: at 100k sockets holding them cost more in garbage collection than making
    // them, and the memory would grow with the table.
    const table = view.table;
    const info = options.info === true;
    const head = ['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port', 'Process / Timer'];
    const layout = new PlainTable({ head, align: ['left', 'right', 'right', 'left', 'left', 'left'] });
    for (let i = 0; i < table.length; i++) layout.measure(listingCells(table.socket(i), names, info));
    out.write(`${layout.line(head)}\n`);
    for (let i = 0; i < table.length; i += SLICE) {
      let text = '';
      const end = Math.min(i + SLICE, table.length);
      for (let k = i; k < end; k++) text += `${layout.line(listingCells(table.socket(k), names, info))}\n`;
      out.write(text);
      await out.ready();
    }
  } else {
    await out.writeText(
      renderSnapshotText(view, {
        colors: colorsFor(stream),
        names,
        top: options.top ?? 5,
        width: outputWidth(stream),
        ...(options.by ? { by: options.by } : {}),
        ...(extras.findings ? { findings: extras.findings } : {}),
        ...(extras.renderFindings ? { renderFindings: extras.renderFindings } : {}),
      }),
    );
  }
  await out.flushed();
}
