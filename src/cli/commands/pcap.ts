import { fstatSync } from 'node:fs';
import { type Command, Option } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import type { EndedConnection } from '../../capture/ended.ts';
import {
  type CaptureOptions,
  type CaptureResult,
  readCaptureFdPaced,
  readCaptureFilePaced,
} from '../../capture/pipeline.ts';
import { Timeline } from '../../capture/timeline.ts';
import type { SplitMode, TrackerStats } from '../../capture/tracker.ts';
import { UsageError } from '../../errors.ts';
import { colorsFor } from '../../render/color.ts';
import { parseDuration } from '../duration.ts';
import { PacedOutput } from '../output.ts';
import { AtSink } from '../pcap-sinks/at.ts';
import { JsonSink } from '../pcap-sinks/json.ts';
import { NdjsonSink } from '../pcap-sinks/ndjson.ts';
import type { CaptureSink } from '../pcap-sinks/sink.ts';
import { SummarySink } from '../pcap-sinks/summary.ts';
import { ZeekSink } from '../pcap-sinks/zeek.ts';
import { runAction } from '../run.ts';
import { readStdinUntilStopped } from '../stdin-capture.ts';
import { addViewOptions, type ViewOptions } from '../view.ts';

export interface PcapOptions extends ViewOptions {
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
  command.action((file, options) => runAction(() => runPcap(file, options as PcapOptions)));
}

/** `tcpstate pcap`, writing to `stdout` (a test passes a slow stream of its own). */
export async function runPcap(
  file: string,
  options: PcapOptions,
  stdout: NodeJS.WriteStream = process.stdout,
): Promise<number | undefined> {
  const split: SplitMode = options.split ?? (options.zeek ? 'zeek' : 'product');
  if (options.zeek && (options.json || options.ndjson || options.at !== undefined)) {
    throw new UsageError('--zeek cannot be combined with --json, --ndjson or --at');
  }
  // Only the summary and --json carry a timeline; the other outputs would drop it without a word.
  const charts = [options.timeline && '--timeline', options.svg !== undefined && '--svg'].filter(
    (flag): flag is string => typeof flag === 'string',
  );
  const chartless = [
    options.zeek && '--zeek',
    options.ndjson && '--ndjson',
    options.at !== undefined && '--at',
  ].filter((flag): flag is string => typeof flag === 'string');
  if (charts.length > 0 && chartless.length > 0) {
    throw new UsageError(
      `${charts.join(', ')} cannot be combined with ${chartless.join(', ')}: it has no timeline (use it alone or with --json)`,
    );
  }
  if (options.at === undefined) {
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
  const out = new PacedOutput(stdout);
  const timeline = options.timeline || options.svg !== undefined ? new Timeline() : undefined;
  const sink = chooseSink(file, options, out, timeline);
  let first = Number.NaN;
  const onEnded = (conn: EndedConnection, stats: TrackerStats): void => {
    if (timeline) {
      if (Number.isNaN(first)) first = stats.first;
      timeline.add(conn.connection(), first);
    }
    sink.connection(conn, stats);
  };

  let bar: cliProgress.SingleBar | undefined;
  const showProgress = options.progress !== false && process.stderr.isTTY && file !== '-';
  const captureOptions: CaptureOptions = {
    split,
    checksums: options.checksums ?? false,
    ...(options.timeWait !== undefined ? { timeWait: options.timeWait } : {}),
    ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
    onEnded,
    // The reader waits while the output is backed up, so memory stays bounded however slow stdout's reader is.
    pace: () => out.ready(),
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
        ? await readCaptureFdPaced(0, 'stdin', captureOptions)
        : await readStdinUntilStopped(captureOptions);
    } else {
      result = await readCaptureFilePaced(file, captureOptions);
    }
  } finally {
    bar?.stop();
  }
  for (const w of result.warnings) {
    process.stderr.write(
      `tcpstate: ${result.source}${w.offset !== undefined ? `: byte ${w.offset}` : ''}: ${w.message}\n`,
    );
  }
  // Before any sink reads it: the timeline's samples stop at the capture's last packet.
  timeline?.setEnd(result.tracker.last);
  await sink.finish(result);
  await out.flushed();
  // A capture cut short or with a corrupt block is still read and shown in full up to there, and then it is an
  // error (exit 1).
  return result.reader.truncatedAt !== undefined || result.reader.corruptAt !== undefined ? 1 : undefined;
}

/** One sink per output format. */
function chooseSink(
  file: string,
  options: PcapOptions,
  out: PacedOutput,
  timeline: Timeline | undefined,
): CaptureSink {
  if (options.at !== undefined) return new AtSink(out, options.at, options);
  if (options.zeek) return new ZeekSink(out);
  if (options.ndjson) return new NdjsonSink(out);
  if (options.json) return new JsonSink(out, file === '-' ? 'stdin' : file, timeline, options.svg);
  return new SummarySink(out, colorsFor(out.stream as NodeJS.WriteStream), {
    limit: options.all ? Number.POSITIVE_INFINITY : (options.limit ?? 50),
    story: options.story,
    timeline,
    svg: options.svg,
  });
}
