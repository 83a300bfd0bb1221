import type { Socket } from '../../../model/snapshot.ts';
import { Collector, int, isNoise, type ParseResult, stateOf, tokenize } from '../collector.ts';

/**
 * A state histogram (`netstat -an | awk '{print $6}' | sort | uniq -c`): every `COUNT WORD` line with a TCP state
 * becomes COUNT sockets without addresses; other words (`CONNECTED`, `STREAM`, the `State` header) are skipped.
 */
export function parseHistogram(lines: readonly string[]): ParseResult {
  const out = new Collector();
  out.warnOnce('histogram', 'a state histogram: counts per state only, no addresses');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const t = tokenize(line);
    if (t.length === 0) continue;
    const count = int(t[0]);
    const word = t.slice(1).join(' ');
    if (count === undefined || word === '') {
      if (!isNoise(line.trim())) out.warn(i + 1, 'not a count and a word', line.trim());
      continue;
    }
    const state = stateOf(word);
    if (state === undefined) {
      for (let n = 0; n < count; n++) out.skip('other');
      continue;
    }
    for (let n = 0; n < count; n++) {
      const socket: Socket = {
        protocol: 'tcp',
        family: 'inet',
        state,
        local: { address: '?', port: undefined },
        remote: { address: '?', port: undefined },
        rawState: word,
        line: i + 1,
      };
      out.sockets.push(socket);
    }
  }
  return out.result();
}
