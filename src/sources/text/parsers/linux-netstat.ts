import type { Socket, SocketTimer } from '../../../model/snapshot.ts';
import {
  Collector,
  FieldScanner,
  int,
  intern,
  isNoise,
  type ParseResult,
  setExtra,
  stateOf,
  tokenize,
} from '../collector.ts';
import { familyOf, normalizeLocal, normalizeRemote, splitEndpoint } from '../endpoint.ts';

/** net-tools cuts `addr:port` to this width (without -W) by shortening the address. */
export const NETTOOLS_WIDTH = 23;

const TIMER_KINDS: Record<string, SocketTimer['kind']> = {
  off: 'off',
  aus: 'off',
  on: 'on',
  ein: 'on',
  keepalive: 'keepalive',
  timewait: 'timewait',
  probe: 'persist',
};

/** The skipped kind of a net-tools UDP (`udpl` = UDP-Lite) or raw row, by its Proto column; undefined otherwise. */
export function datagramKind(proto: string): 'udp' | 'raw' | undefined {
  if (proto === 'udp' || proto === 'udp6' || proto === 'udpl' || proto === 'udpl6') return 'udp';
  if (proto === 'raw' || proto === 'raw6') return 'raw';
  return undefined;
}

/**
 * Linux net-tools `netstat` (`-an`, `-tanp`, `-tano`, `-e`, `-W`, localized state names, old layouts): the
 * Internet section is read; UDP, raw and the UNIX-domain section are counted as skipped.
 */
export function parseLinuxNetstat(lines: readonly string[]): ParseResult {
  const out = new Collector();
  let section: 'inet' | 'unix' | 'other' = 'inet';
  let hasUser = false;
  const f = new FieldScanner();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    if (f.scan(line) === 0) continue;
    const head = f.text(0)!;
    if (head === 'Active' || head === 'Aktive' || head === 'Activas' || head === 'Connexions') {
      section = /UNIX|Unix/.test(line)
        ? 'unix'
        : /Internet|Internetverbindungen/i.test(line)
          ? 'inet'
          : 'other';
      continue;
    }
    if (head === 'Proto') {
      const t = tokenize(line);
      hasUser = t.includes('User') || t.includes('Benutzer');
      continue;
    }
    const proto = head.charCodeAt(0) < 97 ? head.toLowerCase() : head;
    if (proto === 'tcp' || proto === 'tcp6') {
      const socket = parseRow(f, hasUser, lineNo);
      if (typeof socket === 'string') out.warn(lineNo, socket, line.trim());
      else out.sockets.push(socket);
      continue;
    }
    const datagram = datagramKind(proto);
    if (datagram !== undefined) out.skip(datagram);
    else if (proto === 'unix' || section === 'unix') out.skip('unix');
    else if (section === 'other' || /^(bt|l2cap|rfcomm|sco|ax25|netrom|ipx|x25)/.test(proto))
      out.skip('other');
    else {
      const trimmed = line.trim();
      if (!isNoise(trimmed)) out.warn(lineNo, 'not a netstat row', trimmed);
    }
  }
  return out.result('linux');
}

function parseRow(f: FieldScanner, hasUser: boolean, lineNo: number): Socket | string {
  const line = f.line;
  const recvQ = f.int(1);
  const sendQ = f.int(2);
  const localText = f.text(3);
  const remoteText = f.text(4);
  if (recvQ === undefined || sendQ === undefined || !localText || !remoteText) return 'not a netstat row';
  let k = 5;
  const rawWord = f.text(k);
  if (rawWord === undefined) return 'no state';
  let state = stateOf(rawWord);
  let rawState = intern(rawWord);
  // Czech gettext prints `POSLEDNÍ ACK` with a space.
  if (state === undefined && k + 1 < f.count) {
    const two = `${rawWord} ${f.text(k + 1)}`;
    state = stateOf(two);
    if (state !== undefined) {
      rawState = two;
      k++;
    }
  }
  if (state === undefined) return `unknown state '${rawWord}'`;
  k++;
  const local = splitEndpoint(localText, 'colon', { width: NETTOOLS_WIDTH });
  const family = familyOf(local, f.text(0));
  const socket: Socket = {
    protocol: 'tcp',
    family,
    state,
    local: normalizeLocal(local, family),
    remote: normalizeRemote(splitEndpoint(remoteText, 'colon', { width: NETTOOLS_WIDTH })),
    recvQ,
    sendQ,
    rawState,
    line: lineNo,
  };
  if (k >= f.count) return socket;
  // What follows the state: [User Inode] [PID/Program name (may hold spaces)] [Timer].
  let rest = line.slice(f.end(k - 1)).trim();
  const timer = trailingTimer(rest);
  if (timer) {
    socket.timer = {
      kind: TIMER_KINDS[timer.kind] ?? 'unknown',
      expiresMs: Math.round(Number(timer.seconds) * 1000),
      retransmits: Number(timer.retransmits),
    };
    rest = rest.slice(0, timer.index).trimEnd();
  }
  const userInode = hasUser || /^\S+\s+\d+(\s|$)/.test(rest) ? /^(\S+)\s+(\d+)\s*/.exec(rest) : null;
  if (userInode) {
    const uid = int(userInode[1]);
    if (uid !== undefined) socket.uid = uid;
    else setExtra(socket, 'user', userInode[1]!);
    socket.inode = Number(userInode[2]);
    rest = rest.slice(userInode[0].length);
  }
  const program = /^(\d+)\/(.*)$/.exec(rest.trim());
  if (program) {
    const ref = { pid: Number(program[1]), command: program[2]!.trim() };
    socket.processes = [socket.uid === undefined ? ref : { ...ref, uid: socket.uid }];
  }
  return socket;
}

/**
 * The Timer column at the end of a row, `on (0.20/0/0)`: found from the end by hand. The regex it replaces,
 * `(\S+) \((...)\)\s*$`, tried every start inside a long word and ran in time quadratic in its length.
 */
function trailingTimer(
  rest: string,
): { kind: string; seconds: string; retransmits: string; index: number } | undefined {
  const text = rest.trimEnd();
  if (!text.endsWith(')')) return undefined;
  const open = text.lastIndexOf('(');
  if (open < 2 || text[open - 1] !== ' ') return undefined;
  const inner = /^(-?[\d.]+)\/(\d+)\/(\d+)$/.exec(text.slice(open + 1, -1));
  if (!inner) return undefined;
  const end = open - 1;
  let start = end;
  while (start > 0 && !/\s/.test(text[start - 1]!)) start--;
  if (start === end) return undefined;
  return { kind: text.slice(start, end), seconds: inner[1]!, retransmits: inner[2]!, index: start };
}
