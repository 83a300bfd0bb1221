import type { Socket } from '../../../model/snapshot.ts';
import { Collector, int, isNoise, type ParseResult, stateOf, tokenize, UNNAMED } from '../collector.ts';
import { familyOf, normalizeLocal, normalizeRemote, splitEndpoint } from '../endpoint.ts';

const DEFAULT_COLUMNS = ['Local', 'Remote', 'Swind', 'Send-Q', 'Rwind', 'Recv-Q', 'State'];

/**
 * Solaris / illumos `netstat -an` (sections `TCP: IPv4`, `UDP: IPv6`, ..., dashed underlines; window before queue)
 * and `-u` (User, Pid, Command; a socket shared by several processes repeats, merged here). `IDLE` and `BOUND`
 * rows are sockets without a connection and are skipped.
 */
export function parseSolarisNetstat(lines: readonly string[]): ParseResult {
  const out = new Collector();
  let section: 'tcp' | 'udp' | 'unix' | 'other' = 'tcp';
  let columns = DEFAULT_COLUMNS;
  let family: 'inet' | 'inet6' | undefined;
  let last: Socket | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    const trimmed = line.trim();
    if (trimmed === '' || /^-[-\s]*$/.test(trimmed)) continue;
    const sectionHead = /^(TCP|UDP|SCTP|ICMP|RAW)(?:: (IPv4|IPv6))?$/.exec(trimmed);
    if (sectionHead) {
      section = sectionHead[1] === 'TCP' ? 'tcp' : sectionHead[1] === 'UDP' ? 'udp' : 'other';
      family = sectionHead[2] === 'IPv6' ? 'inet6' : sectionHead[2] === 'IPv4' ? 'inet' : undefined;
      last = undefined;
      continue;
    }
    if (/^Active UNIX domain sockets/.test(trimmed)) {
      section = 'unix';
      continue;
    }
    if (/^Local Address/.test(trimmed) || /^Address\s+Type/.test(trimmed)) {
      if (section !== 'unix')
        columns = tokenize(trimmed.replace('Local Address', 'Local').replace('Remote Address', 'Remote'));
      continue;
    }
    if (section === 'udp' || section === 'unix' || section === 'other') {
      out.skip(section);
      continue;
    }
    const t = tokenize(trimmed);
    const value = (name: string) => {
      const at = columns.indexOf(name);
      return at < 0 ? undefined : t[at];
    };
    const localText = value('Local');
    const remoteText = value('Remote');
    const stateText = t[t.length - 1]!;
    if (!localText || !remoteText || t.length < columns.length - (columns.includes('If') ? 1 : 0)) {
      if (!isNoise(trimmed)) out.warn(lineNo, 'not a netstat row', trimmed);
      continue;
    }
    // IPv6 sections end with an optional If column; the state is the last word that is one.
    const rawState =
      columns.includes('If') && stateOf(stateText) === undefined ? t[columns.indexOf('State')] : stateText;
    if (rawState === 'IDLE' || rawState === 'BOUND') {
      out.skip('other');
      continue;
    }
    const state = rawState === undefined ? undefined : stateOf(rawState);
    if (state === undefined) {
      out.warn(lineNo, `unknown state '${rawState ?? ''}'`, trimmed);
      continue;
    }
    const local = splitEndpoint(localText, 'dot');
    const fam = family ?? familyOf(local);
    const remote = normalizeRemote(splitEndpoint(remoteText, 'dot'));
    const pid = int(value('Pid'));
    const command = value('Command');
    if (
      last !== undefined &&
      pid !== undefined &&
      last.local.address === (local.address === '*' ? last.local.address : local.address) &&
      last.local.port === local.port &&
      last.remote.address === remote.address &&
      last.remote.port === remote.port &&
      last.state === state
    ) {
      last.processes?.push({ pid, command: command ?? UNNAMED });
      continue;
    }
    const socket: Socket = {
      protocol: 'tcp',
      family: fam,
      state,
      local: normalizeLocal(local, fam),
      remote,
      rawState: rawState ?? stateText,
      line: lineNo,
    };
    const recvQ = int(value('Recv-Q'));
    const sendQ = int(value('Send-Q'));
    if (recvQ !== undefined) socket.recvQ = recvQ;
    if (sendQ !== undefined) socket.sendQ = sendQ;
    const swind = int(value('Swind'));
    const rwind = int(value('Rwind'));
    if (swind !== undefined && rwind !== undefined) socket.extra = { swind, rwind };
    if (pid !== undefined) socket.processes = [{ pid, command: command ?? UNNAMED }];
    out.sockets.push(socket);
    last = socket;
  }
  return out.result('solaris');
}
