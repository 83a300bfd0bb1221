import { type Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.ts';
import { colorsFor } from '../../render/color.ts';
import { renderExplanation, renderExplanationTable } from '../../render/explain.ts';
import { explainAll, explainState } from '../../states/explain/index.ts';
import { EXPLAIN_LANGS } from '../../states/explain/types.ts';
import { NAME_STYLES, parseState, stateName, TCP_STATES } from '../../states/states.ts';
import { runAction } from '../run.ts';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      'explain the TCP states: all as a table, or one in full (meaning, side, transitions, timers per OS, misconceptions)',
    )
    .argument(
      '[state]',
      'a state in any spelling: TIME_WAIT, time-wait, SYN_RCVD, ESTAB, LISTENING, WARTEND ...',
    )
    .addOption(new Option('--lang <lang>', 'language').choices(EXPLAIN_LANGS).default('en' as const))
    .addOption(
      new Option('--names <style>', 'how state names are printed')
        .choices(NAME_STYLES)
        .default('rfc' as const),
    )
    .option('--json', 'print the explanations as JSON (both languages, timers with sources)')
    .action((word, options) =>
      runAction(() => {
        const colors = colorsFor(process.stdout);
        const width = process.stdout.columns ?? 80;
        const render = { lang: options.lang, colors, width, names: options.names };
        if (word === undefined) {
          if (options.json) process.stdout.write(`${JSON.stringify(explainAll(), null, 2)}\n`);
          else process.stdout.write(`${renderExplanationTable(explainAll(), render)}\n`);
          return 0;
        }
        const state = parseState(word);
        if (!state) {
          const valid = TCP_STATES.map((s) => stateName(s, 'rfc')).join(', ');
          throw new UsageError(`explain: '${word}' is not a TCP state (one of ${valid}, in any spelling)`);
        }
        const e = explainState(state);
        if (options.json) process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
        else process.stdout.write(`${renderExplanation(e, render)}\n`);
        return 0;
      }),
    );
}
