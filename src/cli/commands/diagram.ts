import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.ts';
import { colorsFor } from '../../render/color.ts';
import { pathEdges } from '../../render/state-diagram/edges.ts';
import {
  type DiagramOptions,
  renderStateDot,
  renderStateMermaid,
  renderStateSvg,
  renderStateText,
} from '../../render/state-diagram/render.ts';
import { runScenario } from '../../sim/run.ts';
import { runAction } from '../run.ts';
import { writeOutputFile } from '../write-file.ts';

const FORMATS = ['text', 'ascii', 'mermaid', 'svg', 'dot'] as const;

export function registerDiagram(program: Command): void {
  program
    .command('diagram')
    .description('draw the RFC 9293 TCP state diagram, optionally highlighting the path of a scenario')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option(
      '--highlight <scenario>',
      'highlight the transitions a simulated scenario takes (see simulate --list)',
    )
    .option('--profile <name>', 'stack profile for --highlight', 'rfc')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action((opts) =>
      runAction(() => {
        if (!(FORMATS as readonly string[]).includes(opts.format))
          throw new UsageError(`--format '${opts.format}': expected one of ${FORMATS.join(', ')}`);
        const o: DiagramOptions = {};
        if (opts.highlight) {
          const { scenario, trace } = runScenario(opts.highlight, opts.profile);
          o.highlight = pathEdges([trace.path.A, trace.path.B]);
          o.title = `TCP connection states (RFC 9293 Figure 5): ${scenario.title}`;
        }
        let out: string;
        switch (opts.format) {
          case 'mermaid':
            out = renderStateMermaid(o);
            break;
          case 'dot':
            out = renderStateDot(o);
            break;
          case 'svg':
            out = renderStateSvg(o);
            break;
          default: {
            const t: Parameters<typeof renderStateText>[0] = { ...o, ascii: opts.format === 'ascii' };
            if (!opts.output) t.colors = colorsFor(process.stdout);
            out = renderStateText(t);
          }
        }
        if (opts.output) writeOutputFile(opts.output, out);
        else process.stdout.write(out);
        return 0;
      }),
    );
}
