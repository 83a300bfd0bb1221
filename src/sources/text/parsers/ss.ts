import type { ProcessRef, Socket, SocketTimer } from '../../../model/snapshot.ts';
import { parseState, type TcpState } from '../../../states/states.ts';
import {
  Collector,
  FieldScanner,
  isNoise,
  type ParseResult,
  type SkipKind,
  stateWord,
  tokenize,
} from '../collector.ts';
import { familyOf, normalizeLocal, normalizeRemote, splitEndpoint } from '../endpoint.ts';

const UNIX_NETIDS: ReadonlySet<string> = new Set(['u_str', 'u_dgr', 'u_seq', 'u_seqpacket', 'unix']);
const OTHER_NETIDS: ReadonlySet<string> = new Set([
  'nl',
  'p_raw',
  'p_dgr',
  'sctp',
  'mptcp',
  'tipc',
  'v_str',
  'v_dgr',
  'xdp',
  'icmp6',
  'dccp',
]);

/** What an ss Netid column word is: a TCP row, a kind of skipped socket, or (undefined) no netid at all. */
export function netidKind(word: string): 'tcp' | SkipKind | undefined {
  if (word === 'tcp') return 'tcp';
  if (word === 'udp' || word === 'raw') return word;
  if (UNIX_NETIDS.has(word)) return 'unix';
  if (OTHER_NETIDS.has(word)) return 'other';
  return undefined;
}

/**
 * `ss` output of any iproute2 version: with or without the Netid column (shown when several socket types are
 * listed), without the State column (`ss state established`), `-p` users in the new (`pid=`, `fd=`) and old
 * (`"sshd",1231,3`) forms, `-e` uid/ino/sk, `-o` timers, and `-i`/`-m` continuation lines.
 */
export function parseSs(lines: readonly string[]): ParseResult {
  const out = new Collector();
  let last: Socket | undefined;
  const f = new FieldScanner();
  const filtered = filteredState(lines);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) {
      // `-i` / `-m` continuation of the previous socket (or indentation of a paste).
      const trimmed = line.trim();
      if (trimmed === '') continue;
      if (last !== undefined && !/^(tcp|udp|ESTAB|LISTEN)\s/.test(trimmed) && INFO_TOKEN.test(trimmed)) {
        addInfo(last, trimmed);
        continue;
      }
      if (last === undefined && /^[a-z_]+:|^(ts|sack|cubic|bbr|reno)\b/.test(trimmed)) continue;
    }
    const n = f.scan(line);
    if (n === 0) continue;
    const head = f.text(0)!;
    if (head === 'Netid' || head === 'State' || head === 'Recv-Q') {
      continue;
    }
    let k = 0;
    // Netids are lower-case words; states are upper-case, so most rows skip this.
    const c0 = head.charCodeAt(0);
    const netid = c0 >= 97 && c0 <= 122 ? netidKind(head) : undefined;
    if (netid !== undefined) k = 1;
    last = undefined;
    if (netid !== undefined && netid !== 'tcp') {
      out.skip(netid);
      continue;
    }
    let rawState: string | undefined;
    let state: Socket['state'] | undefined;
    let noStateColumn = false;
    if (k < n && f.int(k) === undefined) {
      const word = stateWord(k === 0 ? head : f.text(k)!);
      rawState = word.raw;
      state = word.state;
      k++;
    } else if (k < n) {
      // `ss state X ...` drops the State column. X comes from a pasted command line when there is one; else
      // ESTABLISHED (the usual filter), or TIME_WAIT for a row whose timer says so (set after the tail is read).
      state = filtered?.state ?? 'ESTABLISHED';
      noStateColumn = true;
      out.warnOnce(
        'nostate',
        filtered
          ? `no State column: rows are ${filtered.state}, from the pasted command on line ${filtered.line}`
          : 'no State column (ss filtered by state?): rows counted as ESTABLISHED, or TIME_WAIT where the timer is timewait',
        lineNo,
      );
    }
    const recvQ = f.int(k);
    const sendQ = f.int(k + 1);
    const localText = f.text(k + 2);
    const remoteText = f.text(k + 3);
    if (state === undefined || recvQ === undefined || sendQ === undefined || !localText || !remoteText) {
      const trimmed = line.trim();
      if (!isNoise(trimmed))
        out.warn(
          lineNo,
          rawState && recvQ !== undefined ? `unknown state '${rawState}'` : 'not an ss row',
          trimmed,
        );
      continue;
    }
    const local = splitEndpoint(localText, 'colon');
    const family = familyOf(local);
    const localEnd = normalizeLocal(local, family);
    const remote = normalizeRemote(splitEndpoint(remoteText, 'colon'));
    // One literal per shape: a property added after the object is made goes to a separate array, which for a
    // million rows costs more than the rest of the row.
    const socket: Socket =
      rawState === undefined
        ? { protocol: 'tcp', family, state, local: localEnd, remote, recvQ, sendQ, line: lineNo }
        : { protocol: 'tcp', family, state, local: localEnd, remote, recvQ, sendQ, line: lineNo, rawState };
    if (state === 'LISTEN') socket.backlog = sendQ;
    if (n > k + 4) addTail(socket, line.slice(f.end(k + 3)));
    if (noStateColumn && !filtered && socket.timer?.kind === 'timewait') socket.state = 'TIME_WAIT';
    out.sockets.push(socket);
    last = socket;
  }
  return out.result('linux');
}

/**
 * Whether a line holds an `-i` token (`rtt:0.98/0.49`). Written `[a-z_]:` and not `[a-z_]+:`, which means the same
 * here but made the regex engine rescan a long word from each of its letters: quadratic in one long token.
 */
const INFO_TOKEN = /[a-z_]:\S/;

/**
 * `users:((...))` ending at a space or the end, found with indexOf: the lazy regex it replaces rescanned the rest
 * of the line from every `users:((`, quadratic in a line of many. The first `users:((` gives the same match.
 */
function usersField(tail: string): { inner: string; start: number; end: number } | undefined {
  const start = tail.indexOf('users:((');
  if (start < 0) return undefined;
  let close = tail.indexOf('))', start + 8);
  while (close >= 0) {
    const after = tail.charCodeAt(close + 2);
    if (Number.isNaN(after) || after === 32 || (after >= 9 && after <= 13)) {
      return { inner: tail.slice(start + 8, close), start, end: close + 2 };
    }
    close = tail.indexOf('))', close + 1);
  }
  return undefined;
}

/** The part after the peer address: users, timer, uid, ino, sk, and (with -O) tcp_info. */
function addTail(socket: Socket, tailText: string): void {
  let tail = tailText;
  const users = usersField(tail);
  if (users) {
    socket.processes = parseUsers(users.inner);
    tail = tail.slice(0, users.start) + tail.slice(users.end);
  }
  const timer = /timer:\((\w+),([^,)]+),(\d+)\)/.exec(tail);
  if (timer) {
    const parsed = parseSsTimer(timer[1]!, timer[2]!, Number(timer[3]));
    if (parsed) socket.timer = parsed;
  }
  const uid = /\buid:(\d+)/.exec(tail);
  if (uid) socket.uid = Number(uid[1]);
  const ino = /\bino:(\d+)/.exec(tail);
  if (ino) socket.inode = Number(ino[1]);
  const sk = /\bsk:([0-9a-f]+)/.exec(tail);
  if (sk) socket.cookie = sk[1]!;
  if (socket.uid !== undefined && socket.processes) for (const p of socket.processes) p.uid = socket.uid;
  const rest = tail.replace(/timer:\([^()]*\)|\b(uid|ino|sk):\S+/g, '').trim();
  if (INFO_TOKEN.test(rest)) addInfo(socket, rest);
}

/** `"nginx",pid=31876,fd=7),("nginx",pid=31875,fd=7` (new) or `"sshd",1231,3` (old iproute2). */
export function parseUsers(inner: string): ProcessRef[] {
  const out: ProcessRef[] = [];
  for (const entry of inner.split(/\),\(/)) {
    const m = /^"(.*)",(?:pid=)?(\d+),(?:fd=)?(\d+)/.exec(entry);
    if (m) out.push({ command: m[1]!, pid: Number(m[2]), fd: Number(m[3]) });
  }
  return out;
}

/**
 * `timer:(keepalive,29sec,0)`. Old iproute2 printed `9.068ms` meaning 9.068 seconds (fixed in 2024 to `9.068sec`):
 * a `.` followed by exactly three digits and `ms` is seconds.
 */
export function parseSsTimer(name: string, expire: string, retransmits: number): SocketTimer | undefined {
  const kinds: Record<string, SocketTimer['kind']> = {
    on: 'on',
    keepalive: 'keepalive',
    timewait: 'timewait',
    persist: 'persist',
    delack: 'delack',
    off: 'off',
    unknown: 'unknown',
  };
  const ms = parseSsDuration(expire);
  if (ms === undefined) return undefined;
  return { kind: kinds[name] ?? 'unknown', expiresMs: ms, retransmits };
}

export function parseSsDuration(text: string): number | undefined {
  const m = /^(-)?(?:(\d+)min)?(?:(\d+)(?:\.(\d{3}))?(sec|ms))?$/.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined)) return undefined;
  let ms = (m[2] ? Number(m[2]) : 0) * 60_000;
  if (m[3] !== undefined) {
    const whole = Number(m[3]);
    const frac = m[4] === undefined ? 0 : Number(m[4]);
    if (m[5] === 'sec' || m[4] !== undefined) ms += whole * 1000 + frac;
    else ms += whole;
  }
  return m[1] ? -ms : ms;
}

/** Keeps `-i` tokens (`rtt:0.98/0.49`, `retrans:0/3`, `cwnd:10`, `send 118.2Mbps`) in `extra`. */
function addInfo(socket: Socket, text: string): void {
  const extra = socket.extra ?? {};
  const t = tokenize(text);
  for (let i = 0; i < t.length; i++) {
    const token = t[i]!;
    const colon = token.indexOf(':');
    if (colon > 0) {
      const key = token.slice(0, colon);
      const value = token.slice(colon + 1);
      const n = Number(value);
      extra[key] = value !== '' && Number.isFinite(n) ? n : value;
      if (key === 'retrans') {
        const total = Number(value.split('/')[1]);
        if (Number.isFinite(total)) socket.retransmits = total;
      }
    } else if ((token === 'send' || token === 'pacing_rate' || token === 'delivery_rate') && t[i + 1]) {
      extra[token] = t[++i]!;
    } else if (/^[a-z_]+$/.test(token)) extra[token] = 1;
  }
  socket.extra = extra;
}

/**
 * The single state a pasted `ss ... state X` command selected (ss drops the State column only then). A group
 * (`state connected`) or several `state` words leave it unknown.
 */
function filteredState(lines: readonly string[]): { state: TcpState; line: number } | undefined {
  let found: { state: TcpState; line: number } | undefined;
  const limit = Math.min(lines.length, 10_000);
  for (let i = 0; i < limit; i++) {
    const line = lines[i]!;
    if (line.length > 2000 || !/\bss\s/.test(line)) continue;
    const words = [...line.matchAll(/\bstate\s+([A-Za-z_-]+(?: ack)?)/gi)];
    if (words.length !== 1) continue;
    const state = parseState(words[0]![1]!);
    if (state === undefined) continue;
    if (found !== undefined && found.state !== state) return undefined;
    found = { state, line: i + 1 };
  }
  return found;
}
