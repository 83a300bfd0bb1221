import { describe, expect, it } from 'vitest';
import { printable } from '../../src/render/printable.ts';
import { runCli } from '../helpers/cli.ts';

// A process may name itself anything (prctl PR_SET_NAME, argv[0]); a pasted listing may hold anything. Printed raw,
// `\e[2J\e]0;PWN\a` clears the operator's screen and retitles the terminal when root runs `tcpstate -p`.
const HOSTILE = '\u001b[2J\u001b]0;PWN\u0007';

function listing(): string {
  const lines = ['State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process'];
  lines.push(`LISTEN 0 128 0.0.0.0:8080 0.0.0.0:* users:(("${HOSTILE}",pid=66,fd=3))`);
  for (let i = 0; i < 120; i++)
    lines.push(
      `CLOSE-WAIT 0 0 10.0.0.1:8080 10.0.1.${i}:${30000 + i} users:(("${HOSTILE}",pid=66,fd=${4 + i}))`,
    );
  return `${lines.join('\n')}\n`;
}

describe('control characters in names are escaped in text output', () => {
  it('printable() escapes C0, DEL, C1 and bidi controls and nothing else', () => {
    expect(printable(HOSTILE)).toBe('\\x1b[2J\\x1b]0;PWN\\x07');
    expect(printable('nginx: worker')).toBe('nginx: worker');
    expect(printable('名字 café')).toBe('名字 café');
    expect(printable('a\tb\nc\u007fd\u009be\u202ef')).toBe('a\\x09b\\x0ac\\x7fd\\x9be\\u202ef');
  });

  for (const args of [[], ['-l'], ['--top', '3']]) {
    it(`analyze ${args.join(' ') || '(main view)'} prints no raw control character`, () => {
      const r = runCli(['analyze', '-', ...args], { input: listing() });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('\\x1b[2J\\x1b]0;PWN\\x07');
      // NO_COLOR is set: no escape sequence of ours either, so any control byte came from the input.
      expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    });
  }

  it('the JSON keeps the name exactly (JSON escapes it itself)', () => {
    const r = runCli(['analyze', '-', '--json'], { input: listing() });
    const doc = JSON.parse(r.stdout) as { sockets: Array<{ processes?: Array<{ command: string }> }> };
    expect(doc.sockets[0]?.processes?.[0]?.command).toBe(HOSTILE);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});
