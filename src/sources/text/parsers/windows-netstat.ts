import type { Socket } from '../../../model/snapshot.ts';
import {
  Collector,
  int,
  intern,
  isNoise,
  type ParseResult,
  setExtra,
  stateOf,
  tokenize,
  UNNAMED,
} from '../collector.ts';
import { familyOf, normalizeLocal, normalizeRemote, splitEndpoint } from '../endpoint.ts';

/** Titles of the listing in the languages seen in real captures (en, de, fr, it, zh, es, pt). */
const TITLES =
  /^(Active Connections|Aktive Verbindungen|Connexions actives|Connessioni attive|活动连接|活動連線|Conexiones activas|Conexões ativas)$/;

/**
 * Windows `netstat -an`, `-ano`, `-abno` (the `-b` lines after a row name its service and executable), `-t`
 * (offload state), in any display language: the states are English except in German, which `parseState` knows,
 * also when mis-decoded (`ABH™REN`).
 */
export function parseWindowsNetstat(lines: readonly string[]): ParseResult {
  const out = new Collector();
  let last: Socket | undefined;
  // After a UDP row, `-b` continuation lines belong to it and are skipped with it.
  let afterUdp = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const t = tokenize(trimmed);
    const head = t[0]!;
    if (head === 'TCP') {
      afterUdp = false;
      const socket = parseRow(t, lineNo);
      if (typeof socket === 'string') {
        out.warn(lineNo, socket, trimmed);
        last = undefined;
      } else {
        out.sockets.push(socket);
        last = socket;
      }
      continue;
    }
    if (head === 'UDP') {
      out.skip('udp');
      last = undefined;
      afterUdp = true;
      continue;
    }
    if (TITLES.test(trimmed) || /^(Proto\.?|协议|協定)$/.test(head)) continue;
    if (afterUdp && (line.startsWith(' ') || line.startsWith('\t'))) continue;
    if (last !== undefined && (line.startsWith(' ') || line.startsWith('\t'))) {
      // `-b` continuation: `[svchost.exe]`, a service name, or "cannot obtain ownership" in the display language.
      if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
        const exe = trimmed.slice(1, -1);
        for (const p of last.processes ?? []) p.command = exe;
      } else if (!/\s/.test(trimmed) && t.length === 1) setExtra(last, 'service', trimmed);
      continue;
    }
    if (!isNoise(trimmed)) out.warn(lineNo, 'not a netstat row', trimmed);
  }
  return out.result('windows');
}

function parseRow(t: string[], lineNo: number): Socket | string {
  const localText = t[1];
  const remoteText = t[2];
  const stateText = t[3];
  if (!localText || !remoteText || !stateText) return 'not a netstat row';
  const local = splitEndpoint(localText, 'colon');
  let remote = normalizeRemote(splitEndpoint(remoteText, 'colon'));
  // Without -n Windows prints a listener's peer as the host's own name with port 0 (`LAPTOP-6LNI85PH:0`): no peer.
  if (remote.port === 0 && remote.address !== '*') remote = normalizeRemote({ address: '*', port: 0 });
  let state = stateOf(stateText);
  if (state === undefined) {
    // A state word in a language we do not know: a peerless row is a listener on every Windows version.
    if (remote.address === '*' && remote.port === undefined) state = 'LISTEN';
    else return `unknown state '${stateText}'`;
  }
  const family = familyOf(local);
  const socket: Socket = {
    protocol: 'tcp',
    family,
    state,
    local: normalizeLocal(local, family),
    remote,
    rawState: intern(stateText),
    line: lineNo,
  };
  for (let k = 4; k < t.length; k++) {
    const pid = int(t[k]);
    // PID 0 is the System Idle process: TIME_WAIT rows, owned by nobody.
    if (pid !== undefined)
      socket.processes = pid === 0 ? [] : [{ pid, command: pid === 4 ? 'System' : UNNAMED }];
    else setExtra(socket, 'offload', t[k]!);
  }
  return socket;
}
