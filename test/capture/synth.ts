/**
 * Builds captures byte by byte for the reader/decoder tests: IPv4/IPv6 TCP packets, link-layer wrappers, and pcap /
 * pcapng writers (both byte orders, µs/ns, several sections and interfaces, EPB/SPB/OPB). Deliberately naive code
 * (plain arrays, no DataView) so it does not share mistakes with the reader.
 */

export interface TcpSpec {
  v6?: boolean;
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: string; // letters S A F R P
  payload?: number;
  window?: number;
  /** Raw TCP option bytes (padded to 4 by the builder). */
  options?: number[];
  /** IPv4 options bytes (multiple of 4). */
  ipOptions?: number[];
  /** IPv6 extension headers to insert, by next-header number (0 hop-by-hop, 60 dest opts, 44 fragment). */
  ext?: number[];
  /** IPv4 flags+fragment offset field. */
  frag?: number;
  /** Trailing bytes after the IP datagram (Ethernet padding). */
  pad?: number;
}

const be16 = (n: number) => [(n >>> 8) & 255, n & 255];
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, (n >>> 8) & 255];
const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];

function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IP datagram carrying the TCP segment (correct TCP checksum). */
export function ipTcp(spec: TcpSpec): number[] {
  const flagBits =
    (spec.flags.includes('F') ? 1 : 0) |
    (spec.flags.includes('S') ? 2 : 0) |
    (spec.flags.includes('R') ? 4 : 0) |
    (spec.flags.includes('P') ? 8 : 0) |
    (spec.flags.includes('A') ? 16 : 0);
  const opts = [...(spec.options ?? [])];
  while (opts.length % 4) opts.push(0);
  const payload = Array.from({ length: spec.payload ?? 0 }, (_, i) => (i * 7) & 255);
  const tcp = [
    ...be16(spec.sport),
    ...be16(spec.dport),
    ...be32(spec.seq),
    ...be32(spec.ack),
    ((5 + opts.length / 4) << 4) & 255,
    flagBits,
    ...be16(spec.window ?? 65535),
    0,
    0,
    0,
    0,
    ...opts,
    ...payload,
  ];
  const pseudo = spec.v6
    ? [...spec.src, ...spec.dst, ...be32(tcp.length), 0, 0, 0, 6]
    : [...spec.src, ...spec.dst, 0, 6, ...be16(tcp.length)];
  const sum = checksum([...pseudo, ...tcp]);
  tcp[16] = sum >>> 8;
  tcp[17] = sum & 255;
  let ip: number[];
  if (spec.v6) {
    const exts: number[] = [];
    const chain = [...(spec.ext ?? []), 6];
    for (let i = 0; i < chain.length - 1; i++) {
      const next = chain[i + 1]!;
      if (chain[i] === 44)
        exts.push(next, 0, 0, 1, 0, 0, 0, 1); // offset 0, more fragments
      else exts.push(next, 0, 1, 4, 0, 0, 0, 0); // 8 bytes, PadN
    }
    ip = [0x60, 0, 0, 0, ...be16(exts.length + tcp.length), chain[0]!, 64, ...spec.src, ...spec.dst, ...exts];
  } else {
    const ipo = spec.ipOptions ?? [];
    const ihl = 5 + ipo.length / 4;
    const total = ihl * 4 + tcp.length;
    const hdr = [
      0x40 | ihl,
      0,
      ...be16(total),
      0,
      1,
      ...be16(spec.frag ?? 0x4000),
      64,
      6,
      0,
      0,
      ...spec.src,
      ...spec.dst,
      ...ipo,
    ];
    const hs = checksum(hdr);
    hdr[10] = hs >>> 8;
    hdr[11] = hs & 255;
    ip = hdr;
  }
  return [...ip, ...tcp, ...Array.from({ length: spec.pad ?? 0 }, () => 0)];
}

export type Link =
  | { type: 'ether'; tags?: number[]; mpls?: number; pppoe?: boolean }
  | { type: 'sll' }
  | { type: 'sll2' }
  | { type: 'null'; little: boolean; af6?: number }
  | { type: 'loop' }
  | { type: 'raw'; linktype: 101 | 228 | 229 | 12 };

export function linktypeOf(link: Link): number {
  switch (link.type) {
    case 'ether':
      return 1;
    case 'sll':
      return 113;
    case 'sll2':
      return 276;
    case 'null':
      return 0;
    case 'loop':
      return 108;
    case 'raw':
      return link.linktype;
  }
}

export function frame(link: Link, ip: number[]): number[] {
  const v6 = ip[0]! >> 4 === 6;
  const ethertype = v6 ? 0x86dd : 0x0800;
  switch (link.type) {
    case 'ether': {
      const mac = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
      let inner = [...be16(ethertype), ...ip];
      if (link.pppoe)
        inner = [...be16(0x8864), 0x11, 0, 0, 1, ...be16(ip.length + 2), ...be16(v6 ? 0x57 : 0x21), ...ip];
      if (link.mpls) {
        const labels: number[] = [];
        for (let i = 0; i < link.mpls; i++) labels.push(0, 0x10, i === link.mpls - 1 ? 0x01 : 0x00, 64);
        inner = [...be16(0x8847), ...labels, ...ip];
      }
      for (const tag of [...(link.tags ?? [])].reverse()) inner = [...be16(tag), 0, 5, ...inner];
      return [...mac, ...inner];
    }
    case 'sll':
      return [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...be16(ethertype), ...ip];
    case 'sll2':
      return [...be16(ethertype), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...ip];
    case 'null': {
      const af = v6 ? (link.af6 ?? 30) : 2;
      return [...(link.little ? le32(af) : be32(af)), ...ip];
    }
    case 'loop':
      return [...be32(v6 ? 24 : 2), ...ip];
    case 'raw':
      return ip;
  }
}

export interface Pkt {
  ts: number; // seconds
  data: number[];
  iface?: number;
  kind?: 'epb' | 'spb' | 'opb';
}

export function pcap(
  packets: Pkt[],
  options: { little: boolean; nano: boolean; linktype: number },
): Uint8Array {
  const w32 = options.little ? le32 : be32;
  const w16 = options.little ? le16 : be16;
  const magic = options.nano ? 0xa1b23c4d : 0xa1b2c3d4;
  const out = [
    ...w32(magic),
    ...w16(2),
    ...w16(4),
    ...w32(0),
    ...w32(0),
    ...w32(65535),
    ...w32(options.linktype),
  ];
  for (const p of packets) {
    const sec = Math.floor(p.ts);
    const frac = Math.round((p.ts - sec) * (options.nano ? 1e9 : 1e6));
    out.push(...w32(sec), ...w32(frac), ...w32(p.data.length), ...w32(p.data.length), ...p.data);
  }
  return Uint8Array.from(out);
}

export interface Section {
  little: boolean;
  interfaces: Array<{ linktype: number; tsresol?: number; tsoffset?: number }>;
  packets: Pkt[];
  /** Insert an unknown block and a name-resolution block (to be skipped). */
  junk?: boolean;
  /** Interface statistics blocks after the packets, each with its isb_ifdrop (option 5, a 64-bit count). */
  ifdrops?: Array<{ iface: number; drops: bigint }>;
}

function block(type: number, body: number[], w32: (n: number) => number[]): number[] {
  while (body.length % 4) body.push(0);
  const len = body.length + 12;
  return [...w32(type), ...w32(len), ...body, ...w32(len)];
}

export function pcapng(sections: Section[]): Uint8Array {
  const out: number[] = [];
  for (const s of sections) {
    const w32 = s.little ? le32 : be32;
    const w16 = s.little ? le16 : be16;
    out.push(
      ...block(
        0x0a0d0d0a,
        [...w32(0x1a2b3c4d), ...w16(1), ...w16(0), ...w32(0xffffffff), ...w32(0xffffffff)],
        w32,
      ),
    );
    for (const i of s.interfaces) {
      const opts: number[] = [];
      if (i.tsresol !== undefined) opts.push(...w16(9), ...w16(1), i.tsresol, 0, 0, 0);
      if (i.tsoffset !== undefined) {
        const lo = i.tsoffset >>> 0;
        opts.push(
          ...w16(14),
          ...w16(8),
          ...(s.little ? [...le32(lo), ...le32(0)] : [...be32(0), ...be32(lo)]),
        );
      }
      if (opts.length) opts.push(0, 0, 0, 0);
      out.push(...block(1, [...w16(i.linktype), 0, 0, ...w32(0), ...opts], w32));
    }
    if (s.junk) {
      out.push(...block(4, [0, 0, 0, 0], w32));
      out.push(...block(0x0bad, [1, 2, 3, 4, 5], w32));
    }
    for (const p of s.packets) {
      const iface = s.interfaces[p.iface ?? 0]!;
      const r = iface.tsresol ?? 6;
      const units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
      const ticks = BigInt(Math.round((p.ts - (iface.tsoffset ?? 0)) * units));
      const hi = Number(ticks >> 32n);
      const lo = Number(ticks & 0xffffffffn);
      const data = [...p.data];
      if (p.kind === 'spb') out.push(...block(3, [...w32(data.length), ...data], w32));
      else if (p.kind === 'opb') {
        out.push(
          ...block(
            2,
            [
              ...w16(p.iface ?? 0),
              ...w16(0),
              ...w32(hi),
              ...w32(lo),
              ...w32(data.length),
              ...w32(data.length),
              ...data,
            ],
            w32,
          ),
        );
      } else {
        out.push(
          ...block(
            6,
            [...w32(p.iface ?? 0), ...w32(hi), ...w32(lo), ...w32(data.length), ...w32(data.length), ...data],
            w32,
          ),
        );
      }
    }
    for (const isb of s.ifdrops ?? []) {
      const drops = [Number(isb.drops >> 32n), Number(isb.drops & 0xffffffffn)];
      const w64 = s.little
        ? [...le32(drops[1]!), ...le32(drops[0]!)]
        : [...be32(drops[0]!), ...be32(drops[1]!)];
      out.push(
        ...block(5, [...w32(isb.iface), ...w32(0), ...w32(0), ...w16(5), ...w16(8), ...w64, 0, 0, 0, 0], w32),
      );
    }
  }
  return Uint8Array.from(out);
}

/** A complete client/server exchange (handshake, data both ways, FIN both ways), with checksums right. */
export function conversation(
  v6 = false,
  t0 = 1_700_000_000.25,
  sport = 40000,
  dport = 80,
): Array<{ ts: number; ip: number[] }> {
  const c: number[] = v6 ? [0xfd, 0, ...Array<number>(13).fill(0), 1] : [10, 0, 0, 1];
  const s: number[] = v6 ? [0xfd, 0, ...Array<number>(13).fill(0), 2] : [10, 0, 0, 2];
  const base = { v6 };
  const cs = (seq: number, ack: number, flags: string, payload = 0, options?: number[]) =>
    ipTcp({
      ...base,
      src: c,
      dst: s,
      sport,
      dport,
      seq,
      ack,
      flags,
      payload,
      ...(options ? { options } : {}),
    });
  const sc = (seq: number, ack: number, flags: string, payload = 0, options?: number[]) =>
    ipTcp({
      ...base,
      src: s,
      dst: c,
      sport: dport,
      dport: sport,
      seq,
      ack,
      flags,
      payload,
      ...(options ? { options } : {}),
    });
  const synOpts = [2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
  return [
    { ts: t0, ip: cs(1000, 0, 'S', 0, synOpts) },
    { ts: t0 + 0.001, ip: sc(5000, 1001, 'SA', 0, synOpts) },
    { ts: t0 + 0.002, ip: cs(1001, 5001, 'A') },
    { ts: t0 + 0.003, ip: cs(1001, 5001, 'PA', 100) },
    { ts: t0 + 0.004, ip: sc(5001, 1101, 'PA', 300) },
    { ts: t0 + 0.005, ip: cs(1101, 5301, 'FA') },
    { ts: t0 + 0.006, ip: sc(5301, 1102, 'FA') },
    { ts: t0 + 0.007, ip: cs(1102, 5302, 'A') },
  ];
}
