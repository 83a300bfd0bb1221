import type { Socket } from '../../../model/snapshot.ts';
import {
  Collector,
  int,
  intern,
  isNoise,
  type ParseResult,
  stateOf,
  tokenize,
  UNNAMED,
} from '../collector.ts';
import { familyOf, normalizeLocal, normalizeRemote, splitEndpoint } from '../endpoint.ts';

/** macOS `netstat -v` columns printed in hex: socket state and options, generation count, flags, filters. */
/**
 * BSD/macOS print at most this many characters of a host (`%.16s`; 12 for names with -A, whose cuts mostly meet the
 * column width anyway, so 16 is used throughout rather than flagging every 12-character numeric address).
 */
const HOST_WIDTH = 16;

const HEX_COLUMNS: ReadonlySet<string> = new Set(['state', 'options', 'gencnt', 'flags', 'flags1', 'fltrs']);

const DEFAULT_COLUMNS = ['Proto', 'Recv-Q', 'Send-Q', 'Local', 'Foreign', '(state)'];
const PROTO = /^(tcp|udp|icm|raw|sctp|div|rip|ip)/i;

/**
 * BSD-family `netstat`: macOS (`-an`, `-An`, `-Abn`, `-anv` old, Sequoia and Tahoe layouts with `process:pid`),
 * FreeBSD (`-A`, `-P`, `-x`, `-T`), OpenBSD, NetBSD and AIX. Addresses are `host.port`. Columns are read by the
 * header's names, so the extras (rxbytes, pid, rexmt, ...) land in `extra` whatever the variant.
 */
export function parseBsdNetstat(lines: readonly string[]): ParseResult {
  const out = new Collector();
  let columns = DEFAULT_COLUMNS;
  let section: 'inet' | 'unix' | 'other' = 'inet';
  let os: string | undefined;
  let width = 22;
  let plainTcp = false;
  let tcp4 = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    const t = tokenize(line);
    if (t.length === 0) continue;
    const head = t[0]!;
    if (head === 'Active' || head === 'Registered') {
      section =
        /Internet connections/.test(line) && !/Multipath/.test(line)
          ? 'inet'
          : /UNIX/.test(line)
            ? 'unix'
            : 'other';
      if (/Multipath|LOCAL \(UNIX\)|kernel (control|event)/.test(line)) os = 'macos';
      continue;
    }
    if (head === 'Address' && t.includes('Inode') && t.includes('Nextref')) os ??= 'freebsd';
    if (
      t.includes('Proto') ||
      t.includes('Proto/ID') ||
      head === 'Address' ||
      head === 'id' ||
      t.includes('Recv-Q')
    ) {
      if (section === 'inet' && t.includes('Proto')) {
        columns = headerColumns(line);
        width = columns[0] === 'Socket' ? 18 : 22;
        if (columns.includes('rhiwat') || columns.includes('Flowhash') || columns.includes('process:pid'))
          os = 'macos';
        if (
          columns[0] === 'Tcpcb' ||
          columns.includes('LogID') ||
          columns.includes('rexmt') ||
          columns.includes('Rexmit')
        )
          os = 'freebsd';
      }
      continue;
    }
    if (section !== 'inet') {
      out.skip(section);
      continue;
    }
    const protoAt = columns.indexOf('Proto');
    let proto = t[protoAt];
    let shift = 0;
    if (proto === undefined || !PROTO.test(proto)) {
      // Headerless paste or a different variant: find the protocol among the first tokens.
      const found = t.findIndex((x, j) => j < 3 && PROTO.test(x));
      if (found < 0) {
        const trimmed = line.trim();
        if (!isNoise(trimmed)) out.warn(lineNo, 'not a netstat row', trimmed);
        continue;
      }
      shift = found - protoAt;
      proto = t[found]!;
    }
    const p = proto.toLowerCase();
    if (p === 'tcp46') os = 'macos';
    if (p === 'tcp') plainTcp = true;
    else if (p === 'tcp4') tcp4 = true;
    if (!p.startsWith('tcp')) {
      out.skip(p.startsWith('udp') ? 'udp' : p.startsWith('raw') || p.startsWith('rip') ? 'raw' : 'other');
      continue;
    }
    const socket = parseRow(t, columns, shift, lineNo, width, out);
    if (typeof socket === 'string') out.warn(lineNo, socket, line.trim());
    else out.sockets.push(socket);
  }
  // OpenBSD prints `tcp`/`tcp6` only; AIX mixes `tcp4` with dual-stack `tcp`.
  if (os === undefined && plainTcp) os = tcp4 ? 'aix' : 'openbsd';
  return out.result(os);
}

/** Header names, with the two-word ones joined: `Local Address` → `Local`, `Log ID` → `LogID`. */
function headerColumns(line: string): string[] {
  return tokenize(
    line
      .replace(/Local Address/, 'Local')
      .replace(/Foreign Address/, 'Foreign')
      .replace(/Remote Address/, 'Foreign')
      .replace(/Log ID/, 'LogID'),
  );
}

function parseRow(
  t: string[],
  columns: string[],
  shift: number,
  lineNo: number,
  width: number,
  out: Collector,
): Socket | string {
  const value = (name: string) => {
    const at = columns.indexOf(name);
    return at < 0 ? undefined : t[at + shift];
  };
  const localText = value('Local');
  const remoteText = value('Foreign');
  if (!localText || !remoteText) return 'not a netstat row';
  const proto = value('Proto')!.toLowerCase();
  const local = splitEndpoint(localText, 'dot', { width, hostWidth: HOST_WIDTH });
  const family = familyOf(local, proto === 'tcp' ? undefined : proto);
  const remote = normalizeRemote(splitEndpoint(remoteText, 'dot', { width, hostWidth: HOST_WIDTH }));
  const stateAt = columns.indexOf('(state)');
  let state: Socket['state'] | undefined;
  let rawState: string | undefined;
  const extra: Record<string, string | number> = {};
  if (stateAt >= 0) {
    rawState = t[stateAt + shift];
    if (rawState !== undefined) rawState = intern(rawState);
    if (rawState === undefined) return 'no state';
    state = stateOf(rawState);
    if (state === undefined) return `unknown state '${rawState}'`;
  } else {
    // FreeBSD -x / -T print no state: a peerless socket is listening, the others are taken as connected.
    state = remote.address === '*' ? 'LISTEN' : 'ESTABLISHED';
    extra.stateInferred = 1;
    out.warnOnce(
      'nostate',
      'this listing has no state column: LISTEN/ESTABLISHED inferred from the peer',
      lineNo,
    );
  }
  const socket: Socket = {
    protocol: 'tcp',
    family,
    state,
    local: normalizeLocal(local, family),
    remote,
    line: lineNo,
  };
  const recvQ = int(value('Recv-Q'));
  const sendQ = int(value('Send-Q'));
  if (recvQ !== undefined) socket.recvQ = recvQ;
  if (sendQ !== undefined) socket.sendQ = sendQ;
  if (rawState !== undefined) socket.rawState = rawState;
  // Everything after the address (and state) columns, by header name.
  const firstExtra = Math.max(columns.indexOf('Foreign'), stateAt) + 1;
  let j = firstExtra + shift;
  for (let c = firstExtra; c < columns.length && j < t.length; c++) {
    const name = columns[c]!;
    if (name === 'process:pid') {
      // `Google Chrome H:777`: the name may hold spaces; the value ends at the first token with `:digits`.
      let k = j;
      while (k < t.length && !/:\d+$/.test(t[k]!)) k++;
      if (k >= t.length) break;
      const joined = t.slice(j, k + 1).join(' ');
      const colon = joined.lastIndexOf(':');
      socket.processes = [{ command: joined.slice(0, colon), pid: Number(joined.slice(colon + 1)) }];
      j = k + 1;
      continue;
    }
    const raw = t[j++]!;
    if (name === 'pid') {
      const pid = int(raw);
      if (pid !== undefined && pid > 0) socket.processes = [{ command: UNNAMED, pid }];
      continue;
    }
    if (name === 'Socket' || name === 'Tcpcb') {
      socket.cookie = raw;
      continue;
    }
    const key = name === 'state' ? 'soState' : name;
    // macOS -v prints these in hex (`%05x`, `%08x`, `%016llx`, `%06x`; Mojave with `0x`): reading
    // `0000000001803264` as a decimal number would be wrong, so they stay as printed.
    if (HEX_COLUMNS.has(name)) {
      extra[key] = raw;
      continue;
    }
    const n = Number(raw);
    extra[key] = raw !== '' && Number.isFinite(n) && !/^0x/.test(raw) ? n : raw;
  }
  // -A puts the PCB address before Proto.
  for (let c = 0; c < columns.indexOf('Proto'); c++) {
    const name = columns[c]!;
    const raw = t[c + shift];
    if (raw === undefined) continue;
    if (name === 'Socket' || name === 'Tcpcb') socket.cookie = raw;
    else extra[name] = raw;
  }
  if (Object.keys(extra).length > 0) socket.extra = extra;
  return socket;
}
