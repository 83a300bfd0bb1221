#!/usr/bin/env python3
"""Rewrites the packets of a real pcap capture as a pcapng file of Simple Packet Blocks only.

No capture tool on Debian 12 writes Simple Packet Blocks (dumpcap, tcpdump, editcap and tshark write Enhanced
Packet Blocks), so this writes the file by the pcapng specification (draft-ietf-opsawg-pcapng, sections 4.1 SHB,
4.2 IDB, 4.4 SPB), little-endian, from the packets of a real capture, byte for byte.

  python3 test/capture/make-spb-fixture.py IN.pcap OUT.pcapng SNAPLEN

SNAPLEN goes into the Interface Description Block, and each packet is stored cut to min(original length, SNAPLEN)
bytes, as the spec says (Wireshark takes an SPB holding more than that for a corrupt file).
"""
import struct
import sys


def block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def main() -> None:
    src, dst, snaplen = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit(f"{src}: not a little-endian pcap file")
    linktype = struct.unpack("<I", data[20:24])[0] & 0xFFFF
    # SHB: byte-order magic, version 1.0, section length unknown (-1).
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    # IDB: link type, reserved, snap length, no options.
    out.append(block(1, struct.pack("<HHI", linktype, 0, snaplen)))
    pos, count = 24, 0
    while pos + 16 <= len(data):
        _sec, _frac, caplen, origlen = struct.unpack("<IIII", data[pos : pos + 16])
        packet = data[pos + 16 : pos + 16 + caplen]
        if snaplen:
            packet = packet[:snaplen]
        # SPB: original packet length, then the packet data (no timestamp, no interface id: interface 0).
        out.append(block(3, struct.pack("<I", origlen) + packet))
        pos += 16 + caplen
        count += 1
    open(dst, "wb").write(b"".join(out))
    print(f"{dst}: {count} simple packet blocks, link type {linktype}, snap length {snaplen}")


main()
