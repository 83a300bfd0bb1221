import { type Command, Option } from '@commander-js/extra-typings';
import { TcpstateError } from '../../errors.ts';
import { TEXT_FORMATS, type TextFormat } from '../../sources/text/detect.ts';
import { readTextSnapshot } from '../../sources/text/read.ts';
import { EXPLAIN_LANGS, type Lang } from '../../states/explain/types.ts';
import { runAction } from '../run.ts';
import { addViewOptions, emitWithFindings, type ViewOptions } from '../view.ts';

interface AnalyzeOptions extends ViewOptions {
  format?: TextFormat;
  encoding?: string;
  strict?: boolean;
  findings: boolean;
  lang: Lang;
}

/** `tcpstate analyze FILE|-`: a pasted netstat/ss/sockstat listing from any OS, in the same view as the live one. */
export function registerAnalyze(program: Command): void {
  const command = program
    .command('analyze')
    .description(
      'read netstat, ss, sockstat or /proc/net/tcp output from Linux, macOS, BSD, Solaris, AIX or Windows (FILE, or - for stdin)',
    )
    .argument('<file>', 'the listing, or - to read stdin');
  addViewOptions(command)
    .addOption(
      new Option('--format <format>', 'skip detection: the listing is this format').choices(TEXT_FORMATS),
    )
    .option(
      '--encoding <name>',
      'decode the input with this encoding (utf8, utf16le, cp850, cp437, cp1252, gbk, ...)',
    )
    .option('--strict', 'any unreadable line is an error (exit 4)')
    .option('--no-findings', 'skip the diagnoses')
    .addOption(
      new Option('--lang <lang>', 'language of the findings').choices(EXPLAIN_LANGS).default('en' as const),
    )
    .action((file, _opts, cmd) =>
      runAction(async () => {
        const options = (cmd as unknown as { opts(): AnalyzeOptions }).opts();
        const snapshot = await readTextSnapshot(file, {
          ...(options.format ? { format: options.format } : {}),
          ...(options.encoding ? { encoding: options.encoding } : {}),
        });
        if (options.strict && snapshot.warnings.length > 0) {
          const w = snapshot.warnings[0]!;
          const at = w.line === undefined ? snapshot.source.name : `${snapshot.source.name}:${w.line}`;
          const more =
            snapshot.warnings.length > 1 ? ` (and ${snapshot.warnings.length - 1} more warnings)` : '';
          throw new TcpstateError(`${at}: ${w.message}${w.text ? `: ${w.text}` : ''}${more} [--strict]`, {
            code: 'E_STRICT',
            exitCode: 4,
          });
        }
        await emitWithFindings(snapshot, options);
        return 0;
      }),
    );
}
