"""Holds COUNT loopback TCP connections (2*COUNT sockets) open for bench/live.ts.

usage: live-holder.py ADDR PORT COUNT   (ADDR 127.0.0.1 or ::1) — prints "ready N" and waits for stdin to close.
"""
import resource
import socket
import sys

addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
need = 2 * count + 100
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < need:
    # Raise the soft limit up to the hard one (raising the hard limit needs CAP_SYS_RESOURCE, which a container may
    # lack); bench/live.ts spreads the sockets over enough processes to stay under it.
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
af = socket.AF_INET6 if ":" in addr else socket.AF_INET
listener = socket.socket(af, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((addr, port))
listener.listen(4096)
keep = []
for _ in range(count):
    c = socket.socket(af, socket.SOCK_STREAM)
    c.connect((addr, port))
    s, _ = listener.accept()
    keep.append(c)
    keep.append(s)
print("ready", len(keep), flush=True)
sys.stdin.read()
