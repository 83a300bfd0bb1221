/**
 * Regenerates test/fixtures/capture/s2-half-close.pcap (run as root: npx tsx test/capture/make-s2-fixture.ts OUT):
 * in two fresh namespaces, a client connects to port 7002, sends a request and shuts down its sending side; the
 * server reads to EOF and never closes. tcpdump on the server's veth captures it. Zeek calls this S2.
 */
import { join } from 'node:path';
import { createNetnsPair, waitFor } from '../helpers/netns.ts';

const STAGE = join(import.meta.dirname, 'stage.py');
const pair = createNetnsPair('tcps2');
const out = process.argv[2]!;
try {
  const dump = pair.spawn(pair.b.ns, 'tcpdump', [
    '-i',
    'veth0',
    '-U',
    '-s',
    '128',
    '-w',
    out,
    'tcp port 7002',
  ]);
  let err = '';
  dump.stderr!.on('data', (d) => (err += d));
  await waitFor(() => (err.includes('listening') ? true : undefined));
  const srv = pair.spawn(pair.b.ns, 'python3', [STAGE, 'server', pair.b.v4, '7002']);
  let so = '';
  srv.stdout!.on('data', (d) => (so += d));
  await waitFor(() => (so.includes('READY') ? true : undefined));
  const cl = pair.spawn(pair.a.ns, 'python3', [STAGE, 'client', pair.b.v4, '7002']);
  let co = '';
  cl.stdout!.on('data', (d) => (co += d));
  await waitFor(() => (co.includes('DONE') ? true : undefined));
  await new Promise((r) => setTimeout(r, 300));
  const ex = new Promise((r) => dump.once('exit', r));
  dump.kill('SIGINT');
  await ex;
  console.log(pair.ss(pair.a.ns), pair.ss(pair.b.ns));
} finally {
  pair.cleanup();
}
