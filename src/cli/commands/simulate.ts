import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.ts';
import { PROFILES } from '../../fsm/profiles.ts';
import { colorsFor } from '../../render/color.ts';
import { renderSequenceMermaid } from '../../render/sequence/mermaid.ts';
import { renderSequenceSvg } from '../../render/sequence/svg.ts';
import { renderSequenceText } from '../../render/sequence/text.ts';
import { defaultRules, parseMatcher, parsePercent } from '../../sim/network.ts';
import { runScenario } from '../../sim/run.ts';
import { SCENARIOS } from '../../sim/scenarios.ts';
import { parseDuration } from '../duration.ts';
import { runAction } from '../run.ts';
import { writeOutputFile } from '../write-file.ts';

const FORMATS = ['text', 'ascii', 'mermaid', 'svg', 'json'] as const;

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('simulate a TCP connection between two endpoints and draw the sequence diagram')
    .argument('[scenario]', 'scenario name (see --list)')
    .option('--list', 'list the scenarios and profiles')
    .option('--profile <name>', 'stack profile: rfc, linux, freebsd, macos, windows', 'rfc')
    .option(
      '--drop <rule>',
      "drop segments, e.g. 'B->A #3', 'A->B FIN', 'A->B SYN+ACK #2', 'A->B *'",
      collect,
      [],
    )
    .option('--duplicate <rule>', 'duplicate matching segments', collect, [])
    .option('--reorder <rule>', 'hold matching segments back 30 ms so later ones overtake them', collect, [])
    .option('--delay <duration>', 'one-way network delay', '10ms')
    .option('--loss <percent>', 'random loss, e.g. 10%', '0')
    .option('--seed <n>', 'seed for --loss', '1')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((name, opts) =>
      runAction(() => {
        if (opts.list || !name) {
          process.stdout.write(listText());
          return name || opts.list ? 0 : 2;
        }
        if (!(FORMATS as readonly string[]).includes(opts.format))
          throw new UsageError(`--format '${opts.format}': expected one of ${FORMATS.join(', ')}`);
        const seed = Number(opts.seed);
        if (!Number.isInteger(seed)) throw new UsageError(`--seed '${opts.seed}': expected an integer`);
        const rules = {
          ...defaultRules(),
          delay: parseDuration(opts.delay, '--delay', { allowZero: true }),
          loss: parsePercent(opts.loss, '--loss'),
          seed,
          drop: opts.drop.map((r) => parseMatcher(r, '--drop')),
          duplicate: opts.duplicate.map((r) => parseMatcher(r, '--duplicate')),
          reorder: opts.reorder.map((r) => parseMatcher(r, '--reorder')),
        };
        const { scenario, trace } = runScenario(name, opts.profile, rules);
        const title = `${scenario.title} (${scenario.name})`;
        const toFile = opts.output !== undefined;
        let out: string;
        switch (opts.format) {
          case 'json':
            out = `${JSON.stringify(trace, null, 2)}\n`;
            break;
          case 'mermaid':
            out = renderSequenceMermaid(trace, title);
            break;
          case 'svg':
            out = renderSequenceSvg(trace, title);
            break;
          default: {
            const textOptions: Parameters<typeof renderSequenceText>[2] = { ascii: opts.format === 'ascii' };
            if (!toFile) textOptions.colors = colorsFor(process.stdout);
            out = renderSequenceText(trace, title, textOptions);
          }
        }
        if (opts.output) writeOutputFile(opts.output, out);
        else process.stdout.write(out);
        return 0;
      }),
    );
}

function listText(): string {
  const lines = ['Scenarios:'];
  const w = Math.max(...SCENARIOS.map((s) => s.name.length));
  for (const s of SCENARIOS) lines.push(`  ${s.name.padEnd(w)}  ${s.description}`);
  lines.push('', 'Profiles (--profile):');
  for (const p of Object.values(PROFILES))
    lines.push(
      `  ${p.name.padEnd(8)} ${p.title}: TIME-WAIT ${p.timeWait / 1000} s; ${p.deviations[0] ?? ''}`,
    );
  lines.push(
    '',
    "Network rules: --drop 'A->B FIN' | 'B->A #3' | 'A->B SYN+ACK #2' | 'A->B *', --duplicate RULE, --reorder RULE,",
    '               --delay 50ms, --loss 10% --seed 7',
  );
  return `${lines.join('\n')}\n`;
}
