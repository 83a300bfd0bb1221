import type { Socket } from '../../../model/snapshot.ts';
import { Collector, int, isNoise, type ParseResult, setExtra, stateOf, tokenize } from '../collector.ts';
import { type EndpointStyle, familyOf, normalizeLocal, normalizeRemote, splitEndpoint } from '../endpoint.ts';

/**
 * FreeBSD (`ip:port`) and NetBSD (`ip.port`) `sockstat`: `USER COMMAND PID FD PROTO LOCAL FOREIGN [STATE]`.
 * Without `-s` there is no state: a socket without a peer is listening, the others are taken as connected
 * (flagged `extra.stateInferred`).
 */
export function parseSockstatText(lines: readonly string[]): ParseResult {
  const out = new Collector();
  let os: string | undefined;
  let hasState = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    const t = tokenize(line);
    if (t.length === 0) continue;
    if (t[0] === 'USER' && t.includes('PROTO')) {
      hasState = t.includes('STATE') || t.includes('PATH-STATE');
      continue;
    }
    const protoAt = t.findIndex(
      (x, j) => j >= 2 && /^(tcp|udp|stream|dgram|seqpac|sctp|raw|icmp|div)/.test(x),
    );
    if (protoAt < 0) {
      const trimmed = line.trim();
      if (!isNoise(trimmed)) out.warn(lineNo, 'not a sockstat row', trimmed);
      continue;
    }
    const proto = t[protoAt]!;
    if (!proto.startsWith('tcp')) {
      out.skip(
        proto.startsWith('udp')
          ? 'udp'
          : proto === 'stream' || proto === 'dgram' || proto === 'seqpac'
            ? 'unix'
            : proto.startsWith('raw')
              ? 'raw'
              : 'other',
      );
      continue;
    }
    const localText = t[protoAt + 1];
    const remoteText = t[protoAt + 2];
    if (!localText || !remoteText) {
      out.warn(lineNo, 'not a sockstat row', line.trim());
      continue;
    }
    const style = styleOf(localText);
    if (style === 'dot') os = 'netbsd';
    else os ??= 'freebsd';
    const local = splitEndpoint(localText, style);
    const remote = normalizeRemote(splitEndpoint(remoteText, styleOf(remoteText)));
    const family = familyOf(local, proto === 'tcp' ? undefined : proto);
    let state: Socket['state'] | undefined;
    const stateText = hasState ? t[protoAt + 3] : undefined;
    if (stateText !== undefined) state = stateOf(stateText);
    const inferred = state === undefined;
    if (inferred) {
      state = remote.address === '*' ? 'LISTEN' : 'ESTABLISHED';
      out.warnOnce(
        'nostate',
        'sockstat prints no state (use sockstat -s): LISTEN/ESTABLISHED inferred from the peer',
        lineNo,
      );
    }
    const socket: Socket = {
      protocol: 'tcp',
      family,
      state: state!,
      local: normalizeLocal(local, family),
      remote,
      line: lineNo,
    };
    if (stateText !== undefined) socket.rawState = stateText;
    if (inferred) socket.extra = { stateInferred: 1 };
    // USER COMMAND PID FD: a long user or command glues to the next column (`python2.781106`); then no PID is read.
    if (protoAt === 4) {
      const pid = int(t[2]);
      const fd = int(t[3]);
      if (pid !== undefined)
        socket.processes = [{ command: t[1]!, pid, ...(fd === undefined ? {} : { fd }) }];
    } else {
      out.warnOnce(
        'glued',
        'columns run together (long user or command name): PIDs not read on those rows',
        lineNo,
      );
      setExtra(socket, 'user', t[0]!);
    }
    out.sockets.push(socket);
  }
  return out.result(os);
}

/** NetBSD prints `a.b.c.d.port` and `v6.port`; FreeBSD `a.b.c.d:port` and `v6:port`. */
function styleOf(text: string): EndpointStyle {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return 'dot';
  if (text.startsWith('[')) return 'colon';
  return text.indexOf('.', colon) >= 0 && !/^[\d.]+$/.test(text.slice(colon + 1)) ? 'dot' : 'colon';
}
