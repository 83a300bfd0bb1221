/** The sequence diagram as Mermaid `sequenceDiagram` source (renders on GitHub and in mermaid.live). */
import type { Trace } from '../../sim/simulator.ts';
import { clockLabel, durationLabel, segmentLabel, stateLabel, timerLabel } from './label.ts';

export function renderSequenceMermaid(trace: Trace, title: string): string {
  const out: string[] = ['sequenceDiagram', `  title ${title} (profile ${trace.profile})`];
  out.push('  participant A', '  participant B');
  out.push(`  Note over A: ${stateLabel(trace.initial.A)}`, `  Note over B: ${stateLabel(trace.initial.B)}`);
  for (const ev of trace.events) {
    const at = clockLabel(ev.t);
    switch (ev.kind) {
      case 'call':
        out.push(`  Note over ${ev.side}: ${at} ${ev.label.replace(/[;#]/g, ' ')}`);
        break;
      case 'state':
        out.push(`  Note over ${ev.side}: ${stateLabel(ev.to)}`);
        break;
      case 'send': {
        const to = ev.side === 'A' ? 'B' : 'A';
        const label = `${segmentLabel(ev.segment)}${ev.retransmission ? ' (rtx)' : ''}`;
        if (ev.fate === 'dropped') out.push(`  ${ev.side}-x${to}: ${label} LOST`);
        else out.push(`  ${ev.side}->>${to}: ${label}`);
        break;
      }
      case 'timer':
        if (ev.action === 'start')
          out.push(
            `  Note right of ${ev.side}: ${timerLabel(ev.timer)} ${durationLabel((ev.deadline ?? ev.t) - ev.t)}`,
          );
        else if (ev.action === 'expire')
          out.push(`  Note right of ${ev.side}: ${at} ${timerLabel(ev.timer)} expired`);
        break;
      default:
        break;
    }
  }
  return `${out.join('\n')}\n`;
}
