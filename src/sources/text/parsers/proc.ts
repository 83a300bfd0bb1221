import { parseProcNetTcpBytes } from '../../proc/proc-net-tcp.ts';
import { Collector, type ParseResult } from '../collector.ts';

/**
 * `/proc/net/tcp` or `tcp6` text (pasted or copied off a Linux box). The family follows the address width; the
 * bytes are read as written by a little-endian machine (x86, arm64), as nearly all are.
 */
export function parseProcText(lines: readonly string[]): ParseResult {
  const out = new Collector();
  const sample = lines.find((l) => /^\s*\d+:\s/.test(l)) ?? '';
  const family = /^\s*\d+:\s+[0-9A-Fa-f]{32}:/.test(sample) ? 'inet6' : 'inet';
  const sockets = parseProcNetTcpBytes(Buffer.from(lines.join('\n'), 'utf8'), family, out.warnings, {
    littleEndian: true,
  });
  out.sockets.push(...sockets);
  return out.result('linux');
}
