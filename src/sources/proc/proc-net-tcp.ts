import { os } from '../../internal/platform.ts';
import type { Endpoint, Family, Socket, SocketTimer, Warning } from '../../model/snapshot.ts';
import { stateFromLinuxCode } from '../../states/states.ts';

/** USER_HZ as /proc prints `tm->when` in clock ticks (jiffies_to_clock_t); it is 100 on every Linux ABI we target. */
const CLOCK_TICKS_PER_SECOND = 100;

const TIMER_KINDS: Record<number, SocketTimer['kind']> = {
  0: 'off',
  1: 'on',
  2: 'keepalive',
  3: 'timewait',
  4: 'persist',
};

/**
 * Decodes the hex address of /proc/net/tcp{,6}. The kernel prints each 32-bit word of the in-memory (network order)
 * address as a host-order integer, so on little-endian machines every 4-byte group is byte-reversed.
 */
export function decodeProcAddress(hex: string, littleEndian = os.littleEndian): string {
  if (hex.length === 8) {
    const word = Number.parseInt(hex, 16);
    const bytes = littleEndian
      ? [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24]
      : [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
    return bytes.join('.');
  }
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    if (littleEndian) bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24);
    else bytes.push(word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
  }
  return formatIpv6(bytes);
}

/** RFC 5952 text form; IPv4-mapped addresses (::ffff:a.b.c.d) are returned as plain IPv4. */
export function formatIpv6(bytes: readonly number[]): string {
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // Longest run of two or more zero groups becomes "::" (first one on ties).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** `tm->when` is a signed long printed with %08lX: overdue timers come out as 16 hex digits of two's complement. */
function signedHex(hex: string): number {
  if (hex.length <= 8) return Number.parseInt(hex, 16) | 0;
  return Number(BigInt.asIntN(64, BigInt(`0x${hex}`)));
}

function endpoint(field: string): Endpoint {
  const colon = field.indexOf(':');
  const address = decodeProcAddress(field.slice(0, colon));
  const port = Number.parseInt(field.slice(colon + 1), 16);
  return { address, port };
}

/**
 * Parses the text of /proc/net/tcp or /proc/net/tcp6. Lines it cannot read become warnings, never exceptions.
 * Remote `0.0.0.0:0` of a listener is reported as the wildcard `*`.
 */
export function parseProcNetTcp(
  text: string,
  family: Family,
  warnings: Warning[] = [],
  lineOffset = 0,
): Socket[] {
  const sockets: Socket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    const state = f[3] === undefined ? undefined : stateFromLinuxCode(Number.parseInt(f[3], 16));
    if (f.length < 10 || state === undefined || !f[1]?.includes(':') || !f[2]?.includes(':')) {
      warnings.push({
        line: lineOffset + i + 1,
        message: 'unreadable /proc/net/tcp line',
        text: line.slice(0, 200),
      });
      continue;
    }
    const [txHex, rxHex] = f[4]!.split(':');
    const [trHex, whenHex] = f[5]!.split(':');
    const local = endpoint(f[1]);
    let remote = endpoint(f[2]);
    if (state === 'LISTEN' && remote.port === 0) remote = { address: '*', port: undefined };
    const timerCode = Number.parseInt(trHex ?? '0', 16);
    const retransmits = Number.parseInt(f[6]!, 16);
    const socket: Socket = {
      protocol: 'tcp',
      family,
      state,
      local,
      remote,
      recvQ: Number.parseInt(rxHex ?? '0', 16),
      sendQ: Number.parseInt(txHex ?? '0', 16),
      retransmits,
      uid: Number.parseInt(f[7]!, 10),
      inode: Number.parseInt(f[9]!, 10),
    };
    if (timerCode !== 0) {
      // tm->when is printed as a signed difference in clock ticks; overdue timers show as huge unsigned values.
      const ticks = signedHex(whenHex ?? '0');
      socket.timer = {
        kind: TIMER_KINDS[timerCode] ?? 'unknown',
        expiresMs: Math.round((ticks * 1000) / CLOCK_TICKS_PER_SECOND),
        retransmits,
      };
    }
    if (f[11] !== undefined) socket.cookie = f[11];
    sockets.push(socket);
  }
  return sockets;
}
