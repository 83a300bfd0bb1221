import { isIP } from 'node:net';
import type { Endpoint, Family } from '../../model/snapshot.ts';

/**
 * How a producer joins address and port: `colon` = Linux/Windows/FreeBSD-sockstat (`a.b.c.d:port`, `[v6]:port`,
 * unbracketed `v6:port` from net-tools), `dot` = BSD/macOS/Solaris/AIX/NetBSD (`a.b.c.d.port`, `v6.port`, `*.*`).
 */
export type EndpointStyle = 'colon' | 'dot';

export interface SplitOptions {
  /** Column width of the producer: a token this long (or longer) may have been cut short. */
  width?: number;
  /** The producer cuts the host part to this many characters (BSD/macOS `%.16s`, `%.12s` with -A). */
  hostWidth?: number;
}

/** Well-known service names that non-numeric listings print instead of ports. */
const SERVICES: Record<string, number> = {
  ftp: 21,
  'ftp-data': 20,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  http: 80,
  www: 80,
  'www-http': 80,
  kerberos: 88,
  pop3: 110,
  sunrpc: 111,
  ntp: 123,
  epmap: 135,
  'loc-srv': 135,
  'netbios-ns': 137,
  'netbios-dgm': 138,
  'netbios-ssn': 139,
  imap: 143,
  imap2: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  'microsoft-ds': 445,
  submission: 587,
  ipp: 631,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  'ms-sql-s': 1433,
  mysql: 3306,
  'ms-wbt-server': 3389,
  postgresql: 5432,
  postgres: 5432,
  mdns: 5353,
  'x11-ssh-offset': 6010,
  'http-alt': 8080,
  webcache: 8080,
  wsd: 5357,
};

export function serviceToPort(name: string): number | undefined {
  return SERVICES[name.toLowerCase()];
}

const WILDCARDS = new Set(['*', '0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/**
 * Splits one printed endpoint into address, port, scope and flags. Never throws: what cannot be read is kept as
 * printed with `truncated: true` so it is never mistaken for another address.
 */
export function splitEndpoint(text: string, style: EndpointStyle, options: SplitOptions = {}): Endpoint {
  const caches = style === 'colon' ? COLON_CACHES : DOT_CACHES;
  const width = (options.width ?? 0) * 1000 + (options.hostWidth ?? 0);
  let cache = caches.get(width);
  if (cache === undefined) {
    cache = new Map();
    caches.set(width, cache);
  }
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const endpoint = splitUncached(text, style, options);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, endpoint);
  return endpoint;
}

/**
 * Listings repeat the same endpoints (a listener's address on every accepted connection): each is parsed once and
 * the same object is shared by the sockets that print it, so treat returned endpoints as read-only.
 */
const COLON_CACHES = new Map<number, Map<string, Endpoint>>();
const DOT_CACHES = new Map<number, Map<string, Endpoint>>();
const CACHE_LIMIT = 100_000;

function splitUncached(text: string, style: EndpointStyle, options: SplitOptions): Endpoint {
  let host: string;
  let portText: string | undefined;
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    if (close < 0) return { address: text, port: undefined, truncated: true };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    portText = rest.startsWith(':') || rest.startsWith('.') ? rest.slice(1) : undefined;
    if (portText === undefined && rest !== '') return { address: text, port: undefined, truncated: true };
  } else {
    const sep = style === 'colon' ? text.lastIndexOf(':') : text.lastIndexOf('.');
    if (sep < 0) {
      // `*` alone (a peer of a listener in ss), or an address without any port.
      return text === '*'
        ? { address: '*', port: undefined }
        : { address: text, port: undefined, truncated: true };
    }
    host = text.slice(0, sep);
    portText = text.slice(sep + 1);
  }
  const endpoint: Endpoint = { address: host, port: undefined };
  const percent = host.indexOf('%');
  if (percent >= 0) {
    endpoint.address = host.slice(0, percent);
    endpoint.scope = host.slice(percent + 1);
  }
  if (endpoint.address === '') endpoint.address = '*';
  if (portText !== undefined && portText !== '*' && portText !== '') {
    const n = portNumber(portText);
    if (n !== undefined) endpoint.port = n;
    else {
      endpoint.service = portText;
      const known = serviceToPort(portText);
      if (known !== undefined) endpoint.port = known;
    }
  }
  if (looksTruncated(text, endpoint, options)) endpoint.truncated = true;
  return endpoint;
}

function portNumber(text: string): number | undefined {
  if (text.length > 5) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n <= 65535 ? n : undefined;
}

/**
 * A host printed exactly as wide as its column (or as the producer's host limit) was probably cut. A token wider
 * than the column was printed whole: fixed-width producers cut to exactly the width, so it came from a wide mode
 * (`netstat -W`) or a build that does not cut (`::ffff:192.168.1.12:59103` in a 23-wide net-tools column).
 */
function looksTruncated(text: string, endpoint: Endpoint, options: SplitOptions): boolean {
  const address = endpoint.address;
  if (WILDCARDS.has(address)) return false;
  const ip = isIP(address);
  // Hex-and-colon text that is not a valid IPv6 address was cut (`fe80::c4c8:5ff:f` printed in a 22-wide column).
  if (ip === 0 && /^[0-9a-f:]+$/i.test(address) && address.includes(':')) return true;
  const { width, hostWidth } = options;
  // At exactly the column width the tail may be cut, and for a full address that tail is the port
  // (`192.168.1.221.5486` in macOS -A's 18-wide column was port 5486x).
  if (width !== undefined && text.length === width) return true;
  // An IPv4 address (at most 15 characters) always fits the host limit.
  return ip !== 4 && hostWidth !== undefined && address.length === hostWidth;
}

/** The family an endpoint's address implies, with the producer's protocol name as the tie-breaker. */
export function familyOf(endpoint: Endpoint, protoHint?: string): Family {
  if (protoHint !== undefined) {
    if (protoHint.endsWith('6') || protoHint.endsWith('46')) return 'inet6';
    if (protoHint.endsWith('4')) return 'inet';
  }
  return endpoint.address.includes(':') ? 'inet6' : 'inet';
}

/** A remote that means "no peer" (`0.0.0.0:0`, `[::]:0`, `*:*`, `*.*`, `0.0.0.0:*`) becomes `*` with no port. */
export function normalizeRemote(endpoint: Endpoint): Endpoint {
  const peerless = endpoint.port === undefined || endpoint.port === 0;
  if (peerless && WILDCARDS.has(endpoint.address) && !endpoint.service) return NO_PEER;
  return endpoint;
}

const NO_PEER: Endpoint = Object.freeze({ address: '*', port: undefined });
const ANY4 = new Map<Endpoint, Endpoint>();
const ANY6 = new Map<Endpoint, Endpoint>();

/** A wildcard local address `*` becomes the family's any-address, as /proc shows it. */
export function normalizeLocal(endpoint: Endpoint, family: Family): Endpoint {
  if (endpoint.address !== '*') return endpoint;
  const cache = family === 'inet6' ? ANY6 : ANY4;
  let any = cache.get(endpoint);
  if (any === undefined) {
    any = { ...endpoint, address: family === 'inet6' ? '::' : '0.0.0.0' };
    if (cache.size > 10_000) cache.clear();
    cache.set(endpoint, any);
  }
  return any;
}
