/** Reads Zeek conn.log baselines (TSV with a #fields header) from test/fixtures/zeek. */
import { readFileSync } from 'node:fs';

export interface ZeekRow {
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  conn_state: string;
  history: string;
  orig_pkts: number;
  resp_pkts: number;
}

export function readConnLog(path: string): ZeekRow[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = lines.find((l) => l.startsWith('#fields'));
  if (header === undefined) throw new Error(`${path}: no #fields header`);
  const fields = header.split('\t').slice(1);
  const col = (name: string) => {
    const i = fields.indexOf(name);
    if (i < 0) throw new Error(`${path}: no ${name} column`);
    return i;
  };
  const rows: ZeekRow[] = [];
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split('\t');
    if (f[col('proto')] !== 'tcp') continue;
    rows.push({
      orig_h: f[col('id.orig_h')]!,
      orig_p: Number(f[col('id.orig_p')]),
      resp_h: f[col('id.resp_h')]!,
      resp_p: Number(f[col('id.resp_p')]),
      conn_state: f[col('conn_state')]!,
      history: f[col('history')]!,
      orig_pkts: Number(f[col('orig_pkts')]),
      resp_pkts: Number(f[col('resp_pkts')]),
    });
  }
  return rows;
}
