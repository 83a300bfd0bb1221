import { parseProcNetTcpBytes } from '../../proc/proc-net-tcp.ts';
import { Collector, type ParseResult } from '../collector.ts';

const HEADER = /^\s*sl\s+local_address\s+rem(ote)?_address\s+st\b/;

/**
 * `/proc/net/tcp` or `tcp6` text (pasted or copied off a Linux box), or both one after the other (`cat tcp tcp6`):
 * each block from its header on is read with the family its address width says. The bytes are read as written by
 * a little-endian machine (x86, arm64), as nearly all are.
 */
export function parseProcText(lines: readonly string[]): ParseResult {
  const out = new Collector();
  const starts = lines.flatMap((l, i) => (i > 0 && HEADER.test(l) ? [i] : []));
  const bounds = [0, ...starts, lines.length];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const block = lines.slice(bounds[k], bounds[k + 1]);
    const sample = block.find((l) => /^\s*\d+:\s/.test(l)) ?? '';
    const family = /^\s*\d+:\s+[0-9A-Fa-f]{32}:/.test(sample) ? 'inet6' : 'inet';
    const warnings: typeof out.warnings = [];
    const sockets = parseProcNetTcpBytes(Buffer.from(block.join('\n'), 'utf8'), family, warnings, {
      littleEndian: true,
    });
    // Warnings count lines within the block; the user counts them in the whole input.
    for (const w of warnings)
      out.warnings.push(w.line === undefined ? w : { ...w, line: w.line + bounds[k]! });
    for (const s of sockets) out.sockets.push(s);
  }
  return out.result('linux');
}
