"""Holds TCP sockets in chosen states for test/live/kernel-states.test.ts.

usage: states.py server|client FAMILY ADDR BASEPORT
  FAMILY: 4 (AF_INET), 6 (AF_INET6), mapped (AF_INET6 sockets, ADDR an IPv4 address used as ::ffff:ADDR)
Scenarios use BASEPORT + offset (see PORTS). Reads commands on stdin ("lastack", "closing"), prints "ready" once
every socket is set up, and keeps everything open until stdin closes.
"""
import errno
import socket
import sys
import threading

PORTS = {"est": 0, "fw2cw": 1, "tw": 2, "fw1": 3, "lastack": 4, "synrecv": 5, "synsent": 6, "closing": 7}

role, fam, addr, base = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
af = socket.AF_INET if fam == "4" else socket.AF_INET6
if fam == "mapped":
    addr = "::ffff:" + addr
keep = []
events = {"lastack": threading.Event(), "closing": threading.Event()}


def new_socket():
    s = socket.socket(af, socket.SOCK_STREAM)
    if af == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if fam == "mapped" else 1)
    keep.append(s)
    return s


def serve(name, conn):
    if name == "tw":
        while conn.recv(4096):
            pass
        conn.close()
    elif name == "fw1":
        conn.setblocking(False)
        chunk = b"x" * 65536
        try:
            while True:
                conn.send(chunk)
        except BlockingIOError:
            pass
        conn.close()  # FIN queued behind data the peer never reads: FIN_WAIT1 (orphaned)
    elif name == "lastack":
        events["lastack"].wait()
        conn.close()
    elif name == "closing":
        events["closing"].wait()
        conn.shutdown(socket.SHUT_WR)


def server():
    listeners = {}
    bind = "::" if fam == "mapped" else addr
    for name, off in PORTS.items():
        s = new_socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((bind, base + off))
        s.listen(16)
        listeners[name] = s
    print("ready", flush=True)
    for name in ("est", "fw2cw", "tw", "fw1", "lastack", "closing"):
        conn, _ = listeners[name].accept()
        keep.append(conn)
        threading.Thread(target=serve, args=(name, conn), daemon=True).start()


def client():
    target = lambda name: (addr, base + PORTS[name])  # noqa: E731
    s = new_socket()
    s.connect(target("est"))
    s = new_socket()
    s.connect(target("fw2cw"))
    s.shutdown(socket.SHUT_WR)
    s = new_socket()
    s.connect(target("tw"))
    s.close()
    s = new_socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.connect(target("fw1"))
    s = new_socket()
    s.connect(target("lastack"))
    s.shutdown(socket.SHUT_WR)
    for name in ("synrecv", "synsent"):
        s = new_socket()
        s.setblocking(False)
        err = s.connect_ex(target(name))
        assert err in (errno.EINPROGRESS, 0), err
    s = new_socket()
    s.connect(target("closing"))
    closing = s

    def on_closing():
        events["closing"].wait()
        closing.shutdown(socket.SHUT_WR)

    threading.Thread(target=on_closing, daemon=True).start()
    print("ready", flush=True)


threading.Thread(target=server if role == "server" else client, daemon=True).start()
for line in sys.stdin:
    word = line.strip()
    if word in events:
        events[word].set()
        print("done " + word, flush=True)
