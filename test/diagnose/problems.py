"""Stages real TCP problems for test/diagnose/reproductions.test.ts, inside network namespaces.

usage: problems.py SCENARIO ARGS...   prints "ready" when the problem is in place, then holds until stdin closes.
  leak-server PORT              accepts connections and never closes them (CLOSE_WAIT once clients close)
  leak-client ADDR PORT N       opens N connections and closes each at once
  echo-server PORT              reads until EOF, then closes (clients close first: TIME_WAIT on the client)
  churn-client ADDR PORT N      opens and closes N connections one after another, waiting for each close
  noaccept-server PORT BACKLOG  listens with BACKLOG and never accepts
  flood-client ADDR PORT N      opens N connections without sending anything (non-blocking)
  bulk-server PORT              accepts and fills every connection with data; "close" on stdin closes them all
  noread-client ADDR PORT N     opens N connections with a tiny receive buffer and never reads
  halfclose-client ADDR PORT N  opens N connections, shuts down writing, and holds them
  hold-server PORT              accepts and holds; "close" on stdin closes them all
"""
import socket
import sys
import threading
import time

scenario, args = sys.argv[1], sys.argv[2:]
keep = []


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen(port, backlog=128):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(backlog)
    keep.append(s)
    return s


def ready():
    print("ready", flush=True)
    sys.stdin.read()


if scenario == "leak-server":
    s = listen(int(args[0]))
    print("listening", flush=True)
    s.settimeout(0.2)
    # Accept for as long as the test runs; never close what was accepted.
    end = time.time() + 3600
    while time.time() < end:
        try:
            c, _ = s.accept()
            keep.append(c)
        except socket.timeout:
            if sys.stdin in []:
                break
elif scenario == "leak-client":
    addr, port, n = args[0], int(args[1]), int(args[2])
    for _ in range(n):
        c = socket.create_connection((addr, port))
        c.close()
    ready()
elif scenario == "echo-server":
    s = listen(int(args[0]), 512)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        while c.recv(4096):
            pass
        c.close()
elif scenario == "churn-client":
    addr, port, n = args[0], int(args[1]), int(args[2])
    for _ in range(n):
        c = socket.create_connection((addr, port))
        c.sendall(b"x")
        c.close()  # we close first: our side goes to TIME_WAIT
    ready()
elif scenario == "noaccept-server":
    listen(int(args[0]), int(args[1]))
    ready()
elif scenario == "flood-client":
    addr, port, n = args[0], int(args[1]), int(args[2])
    for _ in range(n):
        c = socket.socket(family(addr), socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((addr, port))
        except BlockingIOError:
            pass
        keep.append(c)
    ready()
elif scenario in ("bulk-server", "hold-server"):
    s = listen(int(args[0]))
    conns = []

    def commands():
        for line in sys.stdin:
            if line.strip() == "close":
                for c in list(conns):
                    c.close()
                print("closed", flush=True)
        sys.exit(0)

    threading.Thread(target=commands, daemon=True).start()
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        conns.append(c)
        if scenario == "bulk-server":
            c.setblocking(False)
            try:
                while True:
                    c.send(b"x" * 65536)
            except BlockingIOError:
                pass
elif scenario in ("noread-client", "halfclose-client"):
    addr, port, n = args[0], int(args[1]), int(args[2])
    for _ in range(n):
        c = socket.socket(family(addr), socket.SOCK_STREAM)
        if scenario == "noread-client":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.connect((addr, port))
        if scenario == "halfclose-client":
            c.shutdown(socket.SHUT_WR)
        keep.append(c)
    ready()
else:
    sys.exit("unknown scenario " + scenario)
