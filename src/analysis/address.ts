import { createRequire } from 'node:module';

// node:net (for isIP) loads Node's whole stream stack, tens of milliseconds of start-up: only when an address is
// parsed (filters), never for the main view.
let isIPFn: ((input: string) => number) | undefined;
function isIP(input: string): number {
  isIPFn ??= (createRequire(import.meta.url)('node:net') as typeof import('node:net')).isIP;
  return isIPFn(input);
}

/** Parses a CIDR-or-address pattern (`10.0.0.0/8`, `::1`, `fe80::/10`, `*`) into a matcher over printed addresses. */
export function addressMatcher(pattern: string): ((address: string) => boolean) | undefined {
  if (pattern === '*' || pattern === '') return () => true;
  const [base, prefixText] = pattern.split('/');
  if (base === undefined) return undefined;
  const bytes = addressBytes(base);
  if (!bytes) return undefined;
  const prefix = prefixText === undefined ? bytes.length * 8 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) return undefined;
  return (address: string) => {
    const other = addressBytes(address);
    if (!other || other.length !== bytes.length) return false;
    return samePrefix(bytes, other, prefix);
  };
}

/** Bytes of an IPv4 or IPv6 address; undefined for anything else (host names, truncated text, `*`). */
export function addressBytes(address: string): number[] | undefined {
  const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const kind = isIP(plain);
  if (kind === 4) return plain.split('.').map(Number);
  if (kind !== 6) return undefined;
  let text = plain;
  let tail: number[] = [];
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4?.[1]) {
    tail = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array(rest === undefined ? 0 : missing).fill('0'), ...restGroups];
  const bytes: number[] = [];
  for (const g of groups) {
    const n = Number.parseInt(g || '0', 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function samePrefix(a: readonly number[], b: readonly number[], prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** `10.0.0.1:80`, `[::1]:443`, `*:*`: how tcpstate prints an endpoint. */
export function formatEndpoint(address: string, port: number | undefined, service?: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${port ?? service ?? '*'}`;
}
