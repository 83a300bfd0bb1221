/**
 * Real sockets in every observable TCP state, in two namespaces joined by a veth pair, for IPv4, IPv6 and
 * v4-mapped IPv6 (test/live/states.py holds them; nftables rules lose chosen segments). Shared by the tests that
 * compare a live reader with the kernel (`ss`). Needs root, python3, nft and nsenter.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseState } from '../../src/states/states.ts';
import { canUseNetns, createNetnsPair, hasCommand, type NetnsPair, waitFor } from './netns.ts';

const SCRIPT = fileURLToPath(new URL('../live/states.py', import.meta.url));
export const OFFSETS = { est: 0, fw2cw: 1, tw: 2, fw1: 3, lastack: 4, synrecv: 5, synsent: 6, closing: 7 };
export const canStageStates =
  canUseNetns && hasCommand('python3') && hasCommand('nft') && hasCommand('nsenter');

export interface Variant {
  name: string;
  family: '4' | '6' | 'mapped';
  base: number;
}
export const VARIANTS: Variant[] = [
  { name: 'ipv4', family: '4', base: 5100 },
  { name: 'ipv6', family: '6', base: 6100 },
  { name: 'v4-mapped', family: 'mapped', base: 7100 },
];

/** Builds the pair and puts a socket in every state; a (server in b, client in a) python pair per variant. */
export async function stageAllStates(prefix: string): Promise<NetnsPair> {
  const pair = createNetnsPair(prefix);
  const children: { server: ChildProcess; client: ChildProcess }[] = [];
  const lines = (child: ChildProcess): string[] => {
    const got: string[] = [];
    child.stdout?.on('data', (d: Buffer) => got.push(...d.toString().split('\n').filter(Boolean)));
    return got;
  };
  const { a, b } = pair;
  // Segment losses, per scenario port (all variants): SYN-ACK lost at the client, SYN lost at the server,
  // both FINs lost for CLOSING (the server-side table is removed later to let the client's FIN through).
  const ports = (off: number) => VARIANTS.map((v) => v.base + off).join(', ');
  pair.nft(
    a.ns,
    `table inet lose {
      chain input { type filter hook input priority 0; policy accept;
        tcp sport { ${ports(OFFSETS.synrecv)} } drop
        tcp sport { ${ports(OFFSETS.closing)} } tcp flags & fin == fin drop
      }
    }`,
  );
  pair.nft(
    b.ns,
    `table inet lose {
      chain input { type filter hook input priority 0; policy accept;
        tcp dport { ${ports(OFFSETS.synsent)} } drop
      }
    }
    table inet losefin {
      chain input { type filter hook input priority 0; policy accept;
        tcp dport { ${ports(OFFSETS.closing)} } tcp flags & fin == fin drop
      }
    }`,
  );
  const outputs: { server: string[]; client: string[] }[] = [];
  for (const v of VARIANTS) {
    const serverAddr = v.family === '6' ? b.v6 : b.v4;
    const server = pair.spawn(b.ns, 'python3', [SCRIPT, 'server', v.family, serverAddr, String(v.base)]);
    const serverOut = lines(server);
    await waitFor(() => (serverOut.includes('ready') ? true : undefined), 10_000);
    const client = pair.spawn(a.ns, 'python3', [SCRIPT, 'client', v.family, serverAddr, String(v.base)]);
    const clientOut = lines(client);
    await waitFor(() => (clientOut.includes('ready') ? true : undefined), 10_000);
    children.push({ server, client });
    outputs.push({ server: serverOut, client: clientOut });
  }
  // LAST_ACK: once the server side is in CLOSE_WAIT, lose everything the client sends, then close the server.
  await waitFor(() =>
    VARIANTS.every((v) =>
      pair.ss(b.ns).some((r) => r.state === 'CLOSE-WAIT' && r.local.endsWith(`:${v.base + OFFSETS.lastack}`)),
    )
      ? true
      : undefined,
  );
  pair.nft(
    b.ns,
    `table inet loseack {
      chain input { type filter hook input priority 0; policy accept;
        tcp dport { ${ports(OFFSETS.lastack)} } drop
      }
    }`,
  );
  // CLOSING: both sides send FIN, both FINs are lost; then the client's FIN gets through.
  for (const c of children) {
    c.server.stdin?.write('lastack\nclosing\n');
    c.client.stdin?.write('closing\n');
  }
  await waitFor(() =>
    outputs.every((o) => o.server.includes('done closing') && o.client.includes('done closing'))
      ? true
      : undefined,
  );
  await new Promise((r) => setTimeout(r, 300));
  pair.nft(b.ns, 'delete table inet losefin');
  // Wait until every state has appeared in ss for every address variant (retransmission timers decide when
  // CLOSING shows up, and on a loaded machine one variant can lag the others).
  const portOf = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  await waitFor(
    () => {
      const rows = [...pair.ss(a.ns), ...pair.ss(b.ns)];
      const ready = VARIANTS.every((v) => {
        const vports = new Set(Object.values(OFFSETS).map((o) => v.base + o));
        const seen = new Set(
          rows
            .filter((r) => vports.has(portOf(r.local)) || vports.has(portOf(r.peer)))
            .map((r) => parseState(r.state)),
        );
        return seen.has('CLOSING') && seen.has('LAST_ACK') && seen.has('FIN_WAIT_1');
      });
      return ready ? true : undefined;
    },
    20_000,
    100,
  );
  return pair;
}

/** Normalises an `ss` address (`[::ffff:10.0.0.1]:80`, `*:80`, `0.0.0.0:*`) and ours to one text form. */
export function normAddress(address: string, port: string): string {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  a = a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  if (a === '0.0.0.0' || a === '::' || a === '*') a = '*';
  return `${a}:${port === '0' && a === '*' ? '*' : port}`;
}

export function splitSsAddress(text: string): [string, string] {
  const i = text.lastIndexOf(':');
  return [text.slice(0, i), text.slice(i + 1)];
}

/** ss `timer:(on,1.2ms,0)`-style durations back to milliseconds (`1min20sec`, `59sec`, `1.234ms`, `976ms`). */
export function ssMs(text: string): number {
  const m = /^(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d+)ms)?$/.exec(text);
  if (!m) throw new Error(`unexpected ss timer ${text}`);
  return Number(m[1] ?? 0) * 60_000 + Number(m[2] ?? 0) * 1000 + Number(m[4] ?? 0);
}
