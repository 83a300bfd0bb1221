/**
 * The sysctl commands a finding advises are printed to be pasted into a shell as they are: a value with a space is
 * quoted, and a command too wide for the terminal is broken the way a shell joins it again.
 */
import { spawnSync } from 'node:child_process';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.ts';
import { renderFindings } from '../../src/render/findings.ts';
import { displayWidth } from '../../src/render/wrap.ts';

const colors = pc.createColors(false);

function finding(sysctls: NonNullable<Finding['fix']['sysctls']>, examples: string[] = []): Finding {
  return {
    rule: 'test-rule',
    severity: 'warning',
    title: 'a title',
    evidence: { metrics: { n: 1 }, examples },
    explanation: { en: 'why' },
    fix: { en: 'fix', sysctls },
  };
}

/** The command lines of the output: from the `sysctl` line to the last one ending in a backslash, and one more. */
function commandOf(text: string): string {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trimStart().startsWith('sysctl '));
  let last = first;
  while (lines[last]!.endsWith('\\')) last++;
  return lines.slice(first, last + 1).join('\n');
}

/** What the shell makes of the lines: the words `sh` hands to the command. */
function shellWords(lines: string): string[] {
  const r = spawnSync('sh', ['-c', `printf '%s\\n' ${lines.replace(/^\s*sysctl /, '')}`], {
    encoding: 'utf8',
  });
  return r.stdout.trimEnd().split('\n');
}

describe('renderFindings: advised sysctl commands', () => {
  it('quotes a value with a space, so sysctl gets one name=value argument', () => {
    const text = renderFindings(
      [finding([{ name: 'net.ipv4.ip_local_port_range', current: '40000\t40199', suggested: '1024 65535' }])],
      { colors, width: 100 },
    );
    expect(text).toContain('         sysctl -w net.ipv4.ip_local_port_range="1024 65535"  (now 40000 40199)');
    expect(shellWords(commandOf(text).replace(/ {2}\(now.*$/, ''))).toEqual([
      '-w',
      'net.ipv4.ip_local_port_range=1024 65535',
    ]);
  });

  it.each([30, 34, 40, 48])(
    'fits %d columns, and the broken command is the same command to a shell',
    (width) => {
      const sysctls = [
        { name: 'net.ipv4.tcp_orphan_retries', current: '0', suggested: '2' },
        { name: 'net.ipv4.ip_local_port_range', suggested: '1024 65535' },
        { name: 'net.ipv4.tcp_max_syn_backlog', current: '4096', suggested: '4096' },
      ];
      const examples = ['[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:443 -> [2001:db8::1]:51234 CLOSE-WAIT'];
      for (const [i, expected] of [
        ['net.ipv4.tcp_orphan_retries=2'],
        ['net.ipv4.ip_local_port_range=1024 65535'],
      ].entries()) {
        const text = renderFindings([finding([sysctls[i]!], examples)], { colors, width });
        for (const line of text.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
        expect(shellWords(commandOf(text))).toEqual(['-w', ...expected!]);
        expect(text).toContain('[2001:db8::1]:51234');
      }
      const kept = renderFindings([finding([sysctls[2]!])], { colors, width });
      for (const line of kept.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
      // Not a command: wrapped as text, so the name may be cut across lines.
      expect(kept.replace(/\s+/g, '')).toContain('net.ipv4.tcp_max_syn_backlog=4096(alreadyso:keepit)');
    },
  );
});
