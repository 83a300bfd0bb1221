/**
 * Link layer → IPv4/IPv6 → TCP decoding into one reused `DecodedSegment`. Lengths come from the IP header, never from the
 * capture length (Ethernet pads short frames; a snaplen cuts long ones), so sequence math survives truncation.
 */
import type { RawPacket } from './reader.ts';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** A decoded TCP segment. Reused for every packet: copy what you keep. */
export class DecodedSegment {
  ts = 0;
  index = 0;
  family: 4 | 6 = 4;
  /** Addresses as four 32-bit words (IPv4 uses word 3 only, the others are 0). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  /** TCP payload bytes, from the IP length. */
  payloadLen = 0;
  /** IP datagram length (header included), as Zeek counts `ip_bytes`. */
  ipLen = 0;
  ttl = 0;
  /** MSS option value, 0 when absent. */
  mss = 0;
  /** Window-scale shift, -1 when absent. */
  wscale = -1;
  sackPermitted = false;
  /** Number of SACK blocks carried. */
  sackBlocks = 0;
  hasTimestamp = false;
  tsVal = 0;
  tsEcr = 0;
  /** Set only when checksums are verified: the TCP checksum is wrong. */
  badChecksum = false;
}

export interface DecodeStats {
  tcp: number;
  /** IP but not TCP (UDP, ICMP, ...). */
  otherIp: number;
  /** Not IP at all (ARP, LLDP, ...). */
  nonIp: number;
  /** IP fragments: not analysed as TCP (the first fragment's header is not enough for sequence tracking). */
  fragments: number;
  /** Headers cut short by the capture length or inconsistent lengths. */
  truncated: number;
  badChecksums: number;
  /** Tunnelled or encrypted payloads we do not decapsulate (ESP, GRE, IP-in-IP). */
  tunnels: number;
  /** Packets on link types we cannot decode, by link type. */
  unknownLinktypes: Record<number, number>;
}

export function emptyDecodeStats(): DecodeStats {
  return {
    tcp: 0,
    otherIp: 0,
    nonIp: 0,
    fragments: 0,
    truncated: 0,
    badChecksums: 0,
    tunnels: 0,
    unknownLinktypes: {},
  };
}

export interface DecodeOptions {
  /** Verify TCP checksums and mark bad segments (off by default: offload makes most host captures "bad"). */
  checksums?: boolean;
}

/**
 * Decodes `p` into `seg`. Returns true for a TCP segment; otherwise counts why not in `stats` and returns false.
 */
export function decodePacket(
  p: RawPacket,
  seg: DecodedSegment,
  stats: DecodeStats,
  options: DecodeOptions = {},
): boolean {
  const v = p.view;
  const end = p.start + p.caplen;
  let at = p.start;
  let ethertype = 0;
  switch (p.linktype) {
    case 1: // Ethernet
      if (at + 14 > end) return truncated(stats);
      ethertype = v.getUint16(at + 12);
      at += 14;
      break;
    case 113: // Linux cooked (SLL)
      if (at + 16 > end) return truncated(stats);
      ethertype = v.getUint16(at + 14);
      at += 16;
      break;
    case 276: // Linux cooked v2 (SLL2)
      if (at + 20 > end) return truncated(stats);
      ethertype = v.getUint16(at);
      at += 20;
      break;
    case 0: // BSD loopback: AF in the writer's byte order
    case 108: {
      // OpenBSD loop: AF in network byte order
      if (at + 4 > end) return truncated(stats);
      const af = p.linktype === 108 ? v.getUint32(at) : afEither(v.getUint32(at, true), v.getUint32(at));
      at += 4;
      if (af === 2) ethertype = 0x0800;
      else if (af === 10 || af === 24 || af === 28 || af === 30) ethertype = 0x86dd;
      else {
        stats.nonIp++;
        return false;
      }
      break;
    }
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      if (at >= end) return truncated(stats);
      ethertype = p.bytes[at]! >> 4 === 6 ? 0x86dd : 0x0800;
      break;
    case 9: // PPP
    case 50: {
      // PPP in HDLC framing: optional ff 03 address/control
      if (at + 2 > end) return truncated(stats);
      if (p.bytes[at] === 0xff && p.bytes[at + 1] === 0x03) at += 2;
      if (at + 2 > end) return truncated(stats);
      const proto = v.getUint16(at);
      at += 2;
      ethertype = proto === 0x0021 ? 0x0800 : proto === 0x0057 ? 0x86dd : 0;
      break;
    }
    default:
      stats.unknownLinktypes[p.linktype] = (stats.unknownLinktypes[p.linktype] ?? 0) + 1;
      return false;
  }

  // VLAN tags, MPLS label stacks and PPPoE sessions, in any nesting we meet in practice.
  for (let depth = 0; depth < 8; depth++) {
    if (ethertype === 0x0800 || ethertype === 0x86dd) break;
    if (ethertype === 0x8100 || ethertype === 0x88a8 || ethertype === 0x9100) {
      if (at + 4 > end) return truncated(stats);
      ethertype = v.getUint16(at + 2);
      at += 4;
    } else if (ethertype === 0x8847 || ethertype === 0x8848) {
      // MPLS: labels until the bottom-of-stack bit, then guess IPv4/IPv6 from the first nibble.
      for (;;) {
        if (at + 4 > end) return truncated(stats);
        const bottom = p.bytes[at + 2]! & 1;
        at += 4;
        if (bottom) break;
      }
      if (at >= end) return truncated(stats);
      const nibble = p.bytes[at]! >> 4;
      ethertype = nibble === 4 ? 0x0800 : nibble === 6 ? 0x86dd : 0;
    } else if (ethertype === 0x8864) {
      if (at + 8 > end) return truncated(stats);
      const proto = v.getUint16(at + 6);
      at += 8;
      ethertype = proto === 0x0021 ? 0x0800 : proto === 0x0057 ? 0x86dd : 0;
    } else {
      stats.nonIp++;
      return false;
    }
  }

  let proto: number;
  let ipEnd: number;
  const src = seg.src;
  const dst = seg.dst;
  if (ethertype === 0x0800) {
    if (at + 20 > end) return truncated(stats);
    const b0 = p.bytes[at]!;
    const ihl = (b0 & 0x0f) * 4;
    if (b0 >> 4 !== 4 || ihl < 20) return truncated(stats);
    if (at + ihl > end) return truncated(stats);
    let total = v.getUint16(at + 2);
    // Total length 0 means TSO on the capturing host: the captured bytes are all we have.
    if (total === 0) total = end - at;
    if (total < ihl) return truncated(stats);
    const frag = v.getUint16(at + 6);
    proto = p.bytes[at + 9]!;
    if ((frag & 0x3fff) !== 0) {
      stats.fragments++;
      return false;
    }
    seg.family = 4;
    seg.ttl = p.bytes[at + 8]!;
    src[0] = 0;
    src[1] = 0;
    src[2] = 0;
    src[3] = v.getUint32(at + 12);
    dst[0] = 0;
    dst[1] = 0;
    dst[2] = 0;
    dst[3] = v.getUint32(at + 16);
    seg.ipLen = total;
    ipEnd = at + total;
    at += ihl;
  } else if (ethertype === 0x86dd) {
    if (at + 40 > end) return truncated(stats);
    if (p.bytes[at]! >> 4 !== 6) return truncated(stats);
    const payload = v.getUint16(at + 4);
    proto = p.bytes[at + 6]!;
    seg.family = 6;
    seg.ttl = p.bytes[at + 7]!;
    for (let i = 0; i < 4; i++) {
      src[i] = v.getUint32(at + 8 + 4 * i);
      dst[i] = v.getUint32(at + 24 + 4 * i);
    }
    // Payload length 0 is a jumbogram (or TSO): use what was captured.
    seg.ipLen = payload === 0 ? end - at : 40 + payload;
    ipEnd = at + seg.ipLen;
    at += 40;
    // Extension headers.
    for (let hops = 0; hops < 16; hops++) {
      if (proto === 0 || proto === 43 || proto === 60 || proto === 135 || proto === 139 || proto === 140) {
        if (at + 8 > end) return truncated(stats);
        proto = p.bytes[at]!;
        at += (p.bytes[at + 1]! + 1) * 8;
      } else if (proto === 44) {
        if (at + 8 > end) return truncated(stats);
        const off = v.getUint16(at + 2);
        proto = p.bytes[at]!;
        at += 8;
        if ((off & 0xfff9) !== 0) {
          // Any fragment offset or more-fragments bit: part of a fragmented datagram.
          stats.fragments++;
          return false;
        }
      } else if (proto === 51) {
        if (at + 8 > end) return truncated(stats);
        proto = p.bytes[at]!;
        at += (p.bytes[at + 1]! + 2) * 4;
      } else break;
    }
  } else {
    stats.nonIp++;
    return false;
  }

  if (proto !== 6) {
    if (proto === 50 || proto === 47 || proto === 4 || proto === 41) stats.tunnels++;
    else stats.otherIp++;
    return false;
  }
  if (at + 20 > end) return truncated(stats);
  const off = (p.bytes[at + 12]! >> 4) * 4;
  if (off < 20 || at + off > ipEnd) return truncated(stats);
  seg.ts = p.ts;
  seg.index = p.index;
  seg.sport = v.getUint16(at);
  seg.dport = v.getUint16(at + 2);
  seg.seq = v.getUint32(at + 4);
  seg.ack = v.getUint32(at + 8);
  seg.flags = v.getUint16(at + 12) & 0x1ff;
  seg.window = v.getUint16(at + 14);
  seg.payloadLen = ipEnd - at - off;
  seg.mss = 0;
  seg.wscale = -1;
  seg.sackPermitted = false;
  seg.sackBlocks = 0;
  seg.hasTimestamp = false;
  seg.badChecksum = false;
  if (off > 20) readOptions(p, at + 20, Math.min(at + off, end), seg);
  if (options.checksums && ipEnd <= end && !tcpChecksumOk(p, seg, at, ipEnd)) {
    seg.badChecksum = true;
    stats.badChecksums++;
  }
  stats.tcp++;
  return true;
}

function truncated(stats: DecodeStats): false {
  stats.truncated++;
  return false;
}

/** BSD loopback AF: the writer's host byte order is unknown, so take whichever reading is small. */
function afEither(le: number, be: number): number {
  return le < 256 ? le : be;
}

function readOptions(p: RawPacket, from: number, to: number, seg: DecodedSegment): void {
  const b = p.bytes;
  const v = p.view;
  let at = from;
  while (at < to) {
    const kind = b[at]!;
    if (kind === 0) return;
    if (kind === 1) {
      at++;
      continue;
    }
    if (at + 1 >= to) return;
    const len = b[at + 1]!;
    if (len < 2 || at + len > to) return;
    switch (kind) {
      case 2:
        if (len === 4) seg.mss = v.getUint16(at + 2);
        break;
      case 3:
        if (len === 3) seg.wscale = b[at + 2]!;
        break;
      case 4:
        seg.sackPermitted = true;
        break;
      case 5:
        seg.sackBlocks = (len - 2) >> 3;
        break;
      case 8:
        if (len === 10) {
          seg.hasTimestamp = true;
          seg.tsVal = v.getUint32(at + 2);
          seg.tsEcr = v.getUint32(at + 6);
        }
        break;
    }
    at += len;
  }
}

function tcpChecksumOk(p: RawPacket, seg: DecodedSegment, tcpAt: number, ipEnd: number): boolean {
  const v = p.view;
  const len = ipEnd - tcpAt;
  let sum = 6 + len;
  if (seg.family === 4) {
    sum += (seg.src[3]! >>> 16) + (seg.src[3]! & 0xffff) + (seg.dst[3]! >>> 16) + (seg.dst[3]! & 0xffff);
  } else {
    for (let i = 0; i < 4; i++) {
      sum += (seg.src[i]! >>> 16) + (seg.src[i]! & 0xffff) + (seg.dst[i]! >>> 16) + (seg.dst[i]! & 0xffff);
    }
  }
  let at = tcpAt;
  for (; at + 1 < ipEnd; at += 2) sum += v.getUint16(at);
  if (at < ipEnd) sum += p.bytes[at]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}
