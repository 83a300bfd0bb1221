/**
 * Output into a slow reader: the capture is read only as fast as the output is taken, so what waits in memory
 * stays bounded whatever the size of the output. Measured as the most bytes ever queued in the stream (no
 * timing): without backpressure the whole output waits there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PcapOptions, runPcap } from '../../src/cli/commands/pcap.ts';
import { conversation, frame, type Pkt, pcap } from './synth.ts';

/** A reader that takes one chunk per turn of the event loop, and notes the most ever waiting for it. */
class SlowReader extends Writable {
  maxQueued = 0;
  readonly chunks: Buffer[] = [];
  constructor() {
    super({ highWaterMark: 16 * 1024 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.maxQueued = Math.max(this.maxQueued, this.writableLength);
    this.chunks.push(chunk);
    setImmediate(done);
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

let dir: string;
let file: string;
const CONNECTIONS = 8000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tcpstate-slow-'));
  file = join(dir, 'many.pcap');
  const packets: Pkt[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    for (const p of conversation(false, 1_700_000_000 + i * 0.05, 20_000 + i)) {
      packets.push({ ts: p.ts, data: frame({ type: 'ether' }, p.ip) });
    }
  }
  packets.sort((a, b) => a.ts - b.ts);
  writeFileSync(file, pcap(packets, { little: true, nano: false, linktype: 1 }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(options: Partial<PcapOptions>): Promise<SlowReader> {
  const reader = new SlowReader();
  const code = await runPcap(
    file,
    { names: 'rfc', progress: false, ...options } as PcapOptions,
    reader as never,
  );
  expect(code).toBeUndefined();
  return reader;
}

describe('tcpstate pcap into a slow reader', () => {
  for (const [name, options, perConnection] of [
    ['--json', { json: true }, 1000],
    ['--ndjson', { ndjson: true }, 500],
    ['--zeek', { zeek: true }, 100],
  ] as const) {
    it(`${name}: waits for the reader, so at most a batch of output is queued, not the whole of it`, async () => {
      const reader = await run(options);
      const text = reader.text;
      // The output is all there (and large: far more than the bound below)...
      expect(text.length).toBeGreaterThan(CONNECTIONS * perConnection);
      if (name === '--json')
        expect((JSON.parse(text) as { connections: unknown[] }).connections).toHaveLength(CONNECTIONS);
      if (name === '--ndjson') expect(text.trimEnd().split('\n')).toHaveLength(CONNECTIONS + 1);
      // ...but never more than a small part of it waited in memory for the reader.
      expect(reader.maxQueued).toBeLessThan(Math.min(text.length / 4, 2 * 1024 * 1024));
    });
  }
});
