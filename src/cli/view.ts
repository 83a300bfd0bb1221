import { type Command, Option } from '@commander-js/extra-typings';
import type { FilterOptions } from '../analysis/filter.ts';
import { GROUP_KEYS, type GroupKey } from '../analysis/groups.ts';
import { parseSortKey, type SortKey } from '../analysis/sort.ts';
import { type SnapshotView, type ViewSpec, viewOf } from '../analysis/view.ts';
import { diagnose } from '../diagnose/index.ts';
import { UsageError } from '../errors.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { colorsFor } from '../render/color.ts';
import { renderFindings } from '../render/findings.ts';
import { JsonByteWriter } from '../render/json-bytes.ts';
import { snapshotDocument } from '../render/snapshot-json.ts';
import { renderSnapshotText } from '../render/snapshot-text.ts';
import { listingCells, socketsCsv } from '../render/socket-rows.ts';
import { renderTable } from '../render/table.ts';
import type { Lang } from '../states/explain/types.ts';
import { NAME_STYLES, type NameStyle } from '../states/states.ts';

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

const collect = (value: string, previous: string[] = []) => [...previous, value];
const collectPort = (value: string, previous: number[] = []) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port: '${value}' is not a port number`);
  return [...previous, n];
};
const positiveInt = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag}: '${value}' is not a positive whole number`);
  return n;
};

export function addViewOptions<
  C extends Command<unknown[], Record<string, unknown>, Record<string, unknown>>,
>(command: C): C {
  command
    .option('--json', 'print one JSON document (schema tcpstate.snapshot/1, see docs/json.md)')
    .option('--ndjson', 'print one JSON object per socket per line')
    .option('--csv', 'print one CSV row per socket')
    .option('-l, --listing', 'list every socket, like ss -tanop')
    .option(
      '-s, --state <state>',
      'keep only these states or groups (repeatable, comma-separated): time-wait, established, connected, synchronized, bucket, big',
      collect,
    )
    .option('-x, --exclude <state>', 'drop these states or groups (repeatable)', collect)
    .option('--port <port>', 'keep sockets whose local or remote port is PORT (repeatable)', collectPort)
    .option('--process <name|pid>', 'keep sockets owned by a process (needs -p for live data)')
    .option(
      '-f, --filter <expr>',
      "ss-style expression, e.g. 'dport = :443 or ( sport >= :1024 and dst 10.0.0.0/8 )'",
    )
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
): void {
  checkOneFormat(options);
  const view = viewOf(snapshot, viewSpec(options), { groups: showsGroups(options) });
  const findings = options.findings
    ? diagnose(snapshot, view.filtered ? { within: view.sockets } : {}, previous)
    : undefined;
  emitView(view, options, {
    ...(findings ? { findings } : {}),
    renderFindings: (list) =>
      renderFindings(list, {
        colors: colorsFor(process.stdout),
        lang: options.lang,
        width: process.stdout.columns ?? 80,
      }),
  });
}

/** Prints a snapshot in the format the flags ask for. */
export function emitSnapshot(snapshot: Snapshot, options: ViewOptions, extras: EmitExtras = {}): void {
  checkOneFormat(options);
  emitView(viewOf(snapshot, viewSpec(options), { groups: showsGroups(options) }), options, extras);
}

function checkOneFormat(options: ViewOptions): void {
  const formats = [options.json, options.ndjson, options.csv, options.listing].filter(Boolean).length;
  if (formats > 1) throw new UsageError('choose one of --json, --ndjson, --csv, --listing');
}

/** Prints an analysed view: every format below only formats what `view` holds. */
export function emitView(view: SnapshotView, options: ViewOptions, extras: EmitExtras = {}): void {
  const out = extras.out ?? process.stdout;
  const names = options.names ?? 'rfc';
  const sockets = view.sockets;

  if (options.json) {
    const doc = snapshotDocument(view, {
      ...(extras.findings ? { findings: extras.findings } : {}),
      top: options.top ?? 10,
      ...(options.by ? { by: options.by } : {}),
    });
    writeJsonDocument(out, doc);
    return;
  }
  if (options.ndjson) {
    const w = new JsonByteWriter((chunk) => writtenThrough(out, chunk));
    for (const s of sockets) {
      w.value(s);
      w.raw('\n');
    }
    w.flush();
    return;
  }
  if (options.csv) {
    out.write(socketsCsv(sockets, names));
    return;
  }
  if (options.listing) {
    const rows = sockets.map((s) => listingCells(s, names, options.info === true));
    out.write(
      `${renderTable(rows, {
        head: ['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port', 'Process / Timer'],
        align: ['left', 'right', 'right', 'left', 'left', 'left'],
        plain: true,
      })}\n`,
    );
    return;
  }
  out.write(
    renderSnapshotText(view, {
      colors: colorsFor(out),
      names,
      top: options.top ?? 5,
      width: out.columns ?? 80,
      ...(options.by ? { by: options.by } : {}),
      ...(extras.findings ? { findings: extras.findings } : {}),
      ...(extras.renderFindings ? { renderFindings: extras.renderFindings } : {}),
    }),
  );
}

/**
 * Writes the document with one socket per line: still one valid JSON value, readable, and far cheaper than
 * pretty-printing 100k sockets (each on ~20 lines) into one 40 MB string.
 */
/**
 * Writes and says whether the stream is done with the chunk: stdout to a file or a pipe writes synchronously on
 * Linux, and then nothing is left queued that could still refer to it.
 */
function writtenThrough(out: NodeJS.WritableStream, chunk: Buffer): boolean {
  out.write(chunk);
  return (out as { writableLength?: number }).writableLength === 0;
}

function writeJsonDocument(out: NodeJS.WritableStream, doc: ReturnType<typeof snapshotDocument>): void {
  const { sockets, ...rest } = doc;
  const head = JSON.stringify({ ...rest, sockets: [] }, null, 2);
  const cut = head.lastIndexOf('"sockets": []');
  const w = new JsonByteWriter((chunk) => writtenThrough(out, chunk));
  w.bytes(Buffer.from(`${head.slice(0, cut)}"sockets": [`, 'utf8'));
  for (let i = 0; i < sockets.length; i++) {
    w.raw(i === 0 ? '\n    ' : ',\n    ');
    w.value(sockets[i]);
  }
  w.bytes(
    Buffer.from(`${sockets.length ? '\n  ' : ''}]${head.slice(cut + '"sockets": []'.length)}\n`, 'utf8'),
  );
  w.flush();
}
