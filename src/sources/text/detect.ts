/** Text formats `tcpstate analyze` reads. */
export const TEXT_FORMATS = [
  'linux-ss',
  'linux-netstat',
  'linux-proc',
  'bsd-netstat',
  'solaris-netstat',
  'windows-netstat',
  'sockstat',
  'state-histogram',
  'summary',
] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

const SAMPLE_LINES = 400;

/**
 * Guesses the producer of a listing from its first lines (the tools' documented output: netstat(8), ss(8), FreeBSD netstat(1), Solaris netstat(1M), Microsoft's netstat): titles and headers
 * decide when present; headerless pastes are classified by the shape of their rows. Undefined when nothing fits.
 */
export function detectFormat(lines: readonly string[]): TextFormat | undefined {
  const votes = new Map<TextFormat, number>();
  const vote = (format: TextFormat, weight = 1) => votes.set(format, (votes.get(format) ?? 0) + weight);
  let seen = 0;
  let histogram = 0;
  for (let i = 0; i < lines.length && seen < SAMPLE_LINES; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    seen++;
    if (
      /^(Active Connections|Aktive Verbindungen|Connexions actives|Connessioni attive|活动连接|活動連線)$/.test(
        trimmed,
      )
    )
      vote('windows-netstat', 100);
    else if (/^(TCP|UDP)\s+\S+[:\]]\S*\s+\S+/.test(trimmed) && /^\s/.test(line)) vote('windows-netstat', 2);
    else if (
      /^(协议|Proto\.?)\s+(本地地址|Lokale|Adresse locale|Indirizzo locale|Local Address)/.test(trimmed) &&
      /^\s/.test(line)
    )
      vote('windows-netstat', 50);
    else if (/^sl\s+local_address\s+rem(ote)?_address/.test(trimmed)) vote('linux-proc', 100);
    else if (/^\d+:\s+[0-9A-F]{8,32}:[0-9A-F]{4}\s+[0-9A-F]{8,32}:[0-9A-F]{4}\s+[0-9A-F]{2}\s/.test(trimmed))
      vote('linux-proc', 2);
    else if (/^USER\s+COMMAND\s+PID\s+FD\s+PROTO/.test(trimmed)) vote('sockstat', 100);
    else if (
      /^(TCP|UDP|SCTP): IPv[46]$/.test(trimmed) ||
      /^Local Address\s+Remote Address\s.*Swind/.test(trimmed)
    )
      vote('solaris-netstat', 100);
    else if (
      /^Netid\s+(State\s+)?Recv-Q/.test(trimmed) ||
      /^State\s+Recv-Q\s+Send-Q/.test(trimmed) ||
      // `ss state X` without -a drops the State column (and Netid when only TCP is listed).
      /^Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port/.test(trimmed)
    )
      vote('linux-ss', 100);
    else if (
      /^Proto\s.*\(state\)/.test(trimmed) ||
      /^(Socket|Tcpcb)\s.*Proto\s/.test(trimmed) ||
      /^Proto\s+Rexmit/.test(trimmed)
    )
      vote('bsd-netstat', 100);
    else if (/^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+State/.test(trimmed))
      vote('linux-netstat', 100);
    else if (/^Total: \d+/.test(trimmed) || /^(Ip|Tcp|TcpExt|Udp|Icmp|IcmpMsg|IpExt|UdpLite):$/.test(trimmed))
      vote('summary', 20);
    else if (/^\d+\s+[A-Z][A-Z_\-12]*( ACK)?$/.test(trimmed)) histogram++;
    else if (/^(tcp6?|udp6?|raw6?)\s+\d+\s+\d+\s+\S+:\S+\s+\S+:\S+/.test(trimmed)) vote('linux-netstat', 2);
    else if (
      /^(tcp4|tcp6|tcp46|udp4|udp6|udp46|tcp|udp)\s+\d+\s+\d+\s+\S+\.(\d+|\*|[a-z][\w-]*)\s+\S+\.(\d+|\*|[\w-]+)/.test(
        trimmed,
      )
    )
      vote('bsd-netstat', 2);
    else if (/^[0-9a-f]{8,16}\s+([0-9a-f]{8}\s+)?(tcp|udp)\S*\s+\d+\s+\d+\s/.test(trimmed))
      vote('bsd-netstat', 2);
    else if (
      /^((tcp|udp|u_\w+|nl|p_raw|raw)\s+)?(ESTAB|LISTEN|UNCONN|TIME-WAIT|SYN-SENT|SYN-RECV|FIN-WAIT-[12]|CLOSE-WAIT|LAST-ACK|CLOSING)\s+\d+\s+\d+\s/.test(
        trimmed,
      ) ||
      /users:\(\(|timer:\(\w+,/.test(trimmed)
    )
      vote('linux-ss', 2);
    else if (/^(tcp|udp)\s+\d+\s+\d+\s+\S+:\S+\s+\S+:\S+$/.test(trimmed)) vote('linux-ss', 1);
    else if (/^\S+\s+\S+\s+\d+\s+\d+\s+(tcp|udp)[46]?\s+\S+\s+\S+/.test(trimmed)) vote('sockstat', 2);
    else if (/^\S+\s+\S+\s+\d+\s+(tcp|udp)[46]?\s+\S+\s+\S+/.test(trimmed)) vote('sockstat', 1);
  }
  if (histogram > 0 && votes.size === 0) return 'state-histogram';
  let best: TextFormat | undefined;
  let bestVotes = 0;
  for (const [format, n] of votes) {
    if (n > bestVotes) {
      best = format;
      bestVotes = n;
    }
  }
  return best;
}

/** The operating system a format implies (parsers refine it: macOS vs FreeBSD, FreeBSD vs NetBSD). */
export function osOfFormat(format: TextFormat): string | undefined {
  switch (format) {
    case 'linux-ss':
    case 'linux-netstat':
    case 'linux-proc':
      return 'linux';
    case 'windows-netstat':
      return 'windows';
    case 'solaris-netstat':
      return 'solaris';
    default:
      return undefined;
  }
}
