import { Collector, type ParseResult } from '../collector.ts';

/** `ss -s` or `netstat -s`: totals, not sockets. Read without error; says there is nothing per socket. */
export function parseSummary(_lines: readonly string[]): ParseResult {
  const out = new Collector();
  out.warnOnce('summary', 'a summary (ss -s / netstat -s): it has totals, not sockets; nothing to list');
  return out.result('linux');
}
