import { fstatSync } from 'node:fs';
import { type Command, Option } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { AtCollector } from '../../capture/at.ts';
import type { Connection } from '../../capture/conn.ts';
import {
  type CaptureOptions,
  type CaptureResult,
  readCaptureFd,
  readCaptureFile,
} from '../../capture/pipeline.ts';
import {
  type ConnectionRecord,
  connectionRecord,
  zeekFooter,
  zeekHeader,
  zeekLine,
} from '../../capture/record.ts';
import {
  connectionRow,
  duration,
  renderConnectionTable,
  renderStory,
  renderSummary,
} from '../../capture/render.ts';
import { sparklines, Timeline, timelineSvg } from '../../capture/timeline.ts';
import type { SplitMode, TrackerStats } from '../../capture/tracker.ts';
import { connState } from '../../capture/zeek.ts';
import { UsageError } from '../../errors.ts';
import { colorsFor } from '../../render/color.ts';
import { JsonDocumentWriter } from '../../render/json-document.ts';
import { parseDuration } from '../duration.ts';
import { runAction } from '../run.ts';
import { readStdinUntilStopped } from '../stdin-capture.ts';
import { addViewOptions, emitSnapshot, type ViewOptions } from '../view.ts';
import { writeOutputFile } from '../write-file.ts';

interface PcapOptions extends ViewOptions {
  zeek?: boolean;
  split?: SplitMode;
  at?: string;
  timeline?: boolean;
  svg?: string;
  checksums?: boolean;
  timeWait?: number;
  idleTimeout?: number;
  limit?: number;
  all?: boolean;
  story?: boolean;
  progress?: boolean;
}

/** A duration flag (`60s`, `2m`), in the seconds the capture tracker counts in. */
const seconds = (flag: string) => (value: string) => parseDuration(value, flag, { allowZero: true }) / 1000;

/** `--at`: epoch seconds, an ISO date, `+S` seconds after the first packet, or `end`. */
function parseAt(text: string, first: number, last: number): number {
  if (text === 'end') return last;
  if (text.startsWith('+')) {
    const n = Number(text.slice(1));
    if (Number.isFinite(n)) return first + n;
  } else if (/^\d+(\.\d+)?$/.test(text)) {
    return Number(text);
  } else if (/^\d{4}-\d\d-\d\d/.test(text)) {
    // Only ISO dates: Date.parse alone takes '-5' for a day in 2001.
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  throw new UsageError(`--at: '${text}' is not a time (use +SECONDS, epoch seconds, an ISO date or 'end')`);
}

export function registerPcap(program: Command): void {
  const command = program
    .command('pcap')
    .description(
      'follow every TCP connection in a pcap/pcapng capture (FILE, or - for stdin) and infer both endpoints’ states',
    )
    .argument('<file>', 'capture file (pcap or pcapng), or - to read stdin (tcpdump -w - | tcpstate pcap -)')
    .option('--zeek', 'print a Zeek conn.log (TSV); implies --split zeek unless --split is given')
    .addOption(
      new Option(
        '--split <mode>',
        'how a 4-tuple is cut into connections: product, or zeek (Zeek’s timers)',
      ).choices(['product', 'zeek'] as const),
    )
    .option(
      '--at <time>',
      'the state of every endpoint at TIME (+SECONDS from the start, epoch seconds, ISO, end)',
    )
    .option('--timeline', 'state counts over the capture as sparklines')
    .option('--svg <file>', 'write the timeline as an SVG chart to FILE')
    .option('--checksums', 'verify TCP checksums and drop bad segments (off by default: offload)')
    .option(
      '--time-wait <duration>',
      'TIME_WAIT length assumed for the endpoints (default 60s, Linux)',
      seconds('--time-wait'),
    )
    .option(
      '--idle-timeout <duration>',
      'end a connection idle this long (default 10m)',
      seconds('--idle-timeout'),
    )
    .option('--limit <n>', 'connections listed in the table (default 50)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--limit: '${v}' is not a whole number`);
      return n;
    })
    .option('--all', 'list every connection')
    .option('--story', 'tell every listed connection as a story (default when there are at most 10)')
    .option('--no-progress', 'no progress bar on a terminal');
  addViewOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  tcpstate pcap capture.pcapng                 summary, connections and each endpoint's states
  tcpdump -i eth0 -w - -U | tcpstate pcap -     live, through stdin
  tcpstate pcap f.pcap --at +12.5              what netstat would have shown 12.5 s into the capture
  tcpstate pcap f.pcap --zeek > conn.log       Zeek-compatible conn.log
  tcpstate pcap f.pcap --timeline --svg t.svg  state counts over time`,
  );
  command.action((file, options) => runAction(() => run(file, options as PcapOptions)));
}

async function run(file: string, options: PcapOptions): Promise<number | undefined> {
  const out = process.stdout;
  const c = colorsFor(out);
  const split: SplitMode = options.split ?? (options.zeek ? 'zeek' : 'product');
  if (options.zeek && (options.json || options.ndjson || options.at !== undefined)) {
    throw new UsageError('--zeek cannot be combined with --json, --ndjson or --at');
  }
  const atMode = options.at !== undefined;
  if (!atMode) {
    // These shape the socket table of one moment; without --at there is none, and ignoring them would mislead.
    const given = [
      options.csv && '--csv',
      options.listing && '--listing',
      options.state && '--state',
      options.exclude && '--exclude',
      options.port && '--port',
      options.process !== undefined && '--process',
      options.filter !== undefined && '--filter',
      options.sort !== undefined && '--sort',
      options.top !== undefined && '--top',
      options.names !== undefined && options.names !== 'rfc' && '--names',
    ].filter((flag): flag is string => typeof flag === 'string');
    if (given.length > 0) {
      throw new UsageError(
        `${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} to the sockets at one moment: add --at TIME (for example --at end)`,
      );
    }
  }
  const timeline = options.timeline || options.svg !== undefined ? new Timeline() : undefined;
  const limit = options.all ? Number.POSITIVE_INFINITY : (options.limit ?? 50);
  const connStates = new Map<string, number>();
  const anomalies = new Map<string, number>();
  /** Connections kept whole for --at (when its time is only known at the end). */
  const kept: Connection[] = [];
  /** Records of the connections listed, made while each connection is at hand. */
  const records: ConnectionRecord[] = [];
  /** --json: the document, its connections written as they end (memory follows the live connections). */
  let jsonDoc: JsonDocumentWriter | undefined;
  if (options.json && !atMode) {
    jsonDoc = new JsonDocumentWriter((text) => out.write(text));
    jsonDoc.field('schema', 'tcpstate.capture/1');
    jsonDoc.field('source', file === '-' ? 'stdin' : file);
    jsonDoc.openArray('connections');
  }
  let total = 0;
  let at: AtCollector | undefined;
  let first = Number.NaN;
  const zeekOut: string[] = [];
  let pendingNdjson = '';

  if (options.zeek) out.write(`${zeekHeader(new Date())}\n`);

  let atTime = Number.NaN;
  const onConnection = (conn: Connection, stats: TrackerStats): void => {
    total++;
    if (Number.isNaN(first)) first = stats.first;
    if (timeline) timeline.add(conn, first);
    if (atMode) {
      if (at === undefined && options.at !== 'end') {
        atTime = parseAt(options.at!, first, Number.POSITIVE_INFINITY);
        at = new AtCollector(atTime);
      }
      if (at !== undefined) at.add(conn);
      else kept.push(conn);
      return;
    }
    if (options.zeek) {
      zeekOut.push(zeekLine(conn));
      if (zeekOut.length >= 1024) out.write(`${zeekOut.splice(0).join('\n')}\n`);
      return;
    }
    const state = connState(conn);
    connStates.set(state, (connStates.get(state) ?? 0) + 1);
    if (conn.anomalies !== undefined) {
      for (const a of conn.anomalies) anomalies.set(a.kind, (anomalies.get(a.kind) ?? 0) + 1);
    }
    if (options.ndjson) {
      pendingNdjson += `${JSON.stringify({ type: 'connection', ...connectionRecord(conn) })}\n`;
      if (pendingNdjson.length > 1 << 16) {
        out.write(pendingNdjson);
        pendingNdjson = '';
      }
      return;
    }
    if (jsonDoc !== undefined) jsonDoc.item(connectionRecord(conn));
    else if (records.length < limit) records.push(connectionRecord(conn));
  };

  let bar: cliProgress.SingleBar | undefined;
  const showProgress = options.progress !== false && process.stderr.isTTY && file !== '-';
  const captureOptions: CaptureOptions = {
    split,
    checksums: options.checksums ?? false,
    ...(options.timeWait !== undefined ? { timeWait: options.timeWait } : {}),
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    onConnection,
    onProgress: (read, size) => {
      if (!showProgress || size === undefined || size < 16 * 1024 * 1024) return;
      if (bar === undefined) {
        bar = new cliProgress.SingleBar(
          {
            format: 'reading {bar} {percentage}% | {value}/{total} MiB | ETA {eta}s',
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.ceil(size / 1048576), 0);
      }
      bar.update(Math.floor(read / 1048576));
    },
  };

  let result: CaptureResult;
  try {
    if (file === '-') {
      result = fstatSync(0).isFile()
        ? readCaptureFd(0, 'stdin', captureOptions)
        : await readStdinUntilStopped(captureOptions);
    } else {
      result = readCaptureFile(file, captureOptions);
    }
  } finally {
    bar?.stop();
  }
  // A capture cut short or with a corrupt block is still read and shown in full up to there, and then it is an
  // error (exit 1).
  const exit =
    result.reader.truncatedAt !== undefined || result.reader.corruptAt !== undefined ? 1 : undefined;
  for (const w of result.warnings) {
    process.stderr.write(
      `tcpstate: ${result.source}${w.offset !== undefined ? `: byte ${w.offset}` : ''}: ${w.message}\n`,
    );
  }
  const origin = result.tracker.first;

  if (options.zeek) {
    if (zeekOut.length > 0) out.write(`${zeekOut.join('\n')}\n`);
    out.write(`${zeekFooter(new Date())}\n`);
    return exit;
  }
  if (atMode) {
    if (at === undefined) {
      atTime = parseAt(options.at!, origin, result.tracker.last);
      at = new AtCollector(atTime);
      for (const conn of kept) at.add(conn);
    }
    warnOutside(options.at!, atTime, origin, result.tracker.last);
    const snapshot = at.snapshot(result.source);
    snapshot.warnings.push(...result.warnings);
    emitSnapshot(snapshot, options);
    return exit;
  }
  if (options.ndjson) {
    out.write(pendingNdjson);
    out.write(`${JSON.stringify({ type: 'summary', ...summaryDoc(result, connStates, anomalies) })}\n`);
    return exit;
  }
  if (jsonDoc !== undefined) {
    jsonDoc.closeArray();
    // The summary follows the connections: it is only known once they are all read.
    const { source: _source, connections: _count, ...summary } = summaryDoc(result, connStates, anomalies);
    for (const [key, value] of Object.entries(summary)) jsonDoc.field(key, value);
    if (timeline) jsonDoc.field('timeline', timeline.series());
    jsonDoc.end();
    if (options.svg && timeline) writeSvg(options.svg, timeline, result);
    return exit;
  }

  const text: string[] = [renderSummary(result, connStates, anomalies, c), ''];
  records.sort((a, b) => a.id - b.id);
  const story = options.story ?? total <= 10;
  if (story) {
    for (const rec of records) text.push(renderStory(rec, origin, c), '');
  } else if (records.length > 0) {
    text.push(renderConnectionTable(records.map((r) => connectionRow(r, origin, c))));
  }
  if (total > records.length) {
    text.push(c.dim(`(${records.length} of ${total} connections shown; --all for every one, --limit N)`));
  }
  if (timeline) {
    timeline.setEnd(result.tracker.last);
    text.push('', c.bold('Endpoint states over time'), ...sparklines(timeline));
    if (options.svg) writeSvg(options.svg, timeline, result);
  }
  out.write(`${text.join('\n').trimEnd()}\n`);
  return exit;
}

function writeSvg(path: string, timeline: Timeline, result: CaptureResult): void {
  timeline.setEnd(result.tracker.last);
  writeOutputFile(path, timelineSvg(timeline, `TCP endpoint states: ${result.source}`));
  process.stderr.write(`tcpstate: timeline written to ${path}\n`);
}

function summaryDoc(result: CaptureResult, connStates: Map<string, number>, anomalies: Map<string, number>) {
  return {
    source: result.source,
    format: result.reader.format,
    packets: result.reader.packets,
    tcpSegments: result.decode.tcp,
    connections: result.tracker.connections,
    first: result.tracker.first,
    last: result.tracker.last,
    connStates: Object.fromEntries(connStates),
    anomalies: Object.fromEntries(anomalies),
    notAnalysed: {
      otherIp: result.decode.otherIp,
      nonIp: result.decode.nonIp,
      fragments: result.decode.fragments,
      tunnels: result.decode.tunnels,
      truncated: result.decode.truncated,
      badChecksums: result.decode.badChecksums,
      unknownLinktypes: result.decode.unknownLinktypes,
    },
    ...(result.reader.truncatedAt !== undefined ? { truncatedAt: result.reader.truncatedAt } : {}),
    ...(result.reader.corruptAt !== undefined ? { corruptAt: result.reader.corruptAt } : {}),
    warnings: result.warnings,
  };
}

/** `--at` before the first packet or after the last one is allowed, but what it shows there is not observed. */
function warnOutside(text: string, t: number, first: number, last: number): void {
  if (Number.isNaN(first)) return;
  if (t < first) {
    process.stderr.write(
      `tcpstate: --at ${text} is ${duration(first - t)} before the capture's first packet: nothing was seen yet\n`,
    );
  } else if (t > last) {
    process.stderr.write(
      `tcpstate: --at ${text} is ${duration(t - last)} after the capture's last packet: the states shown are what the timers imply, not observed\n`,
    );
  }
}
