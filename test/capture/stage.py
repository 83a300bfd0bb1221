"""Stages TCP connections into chosen states between two network namespaces (used by kernel.test.ts).

server ADDR: listens on the scenario ports and behaves per port; prints READY when listening.
client ADDR: opens one connection per scenario; prints DONE when every socket is where it should be, then sleeps.

Scenarios (port: what happens; expected states client / server):
  7001 established      client and server hold the connection        ESTABLISHED / ESTABLISHED
  7002 client-half-close client shutdown(SHUT_WR), server never closes FIN_WAIT_2 / CLOSE_WAIT
  7003 client-close      client closes first, server closes on EOF     TIME_WAIT / (gone)
  7004 server-close      server closes first, client never closes      CLOSE_WAIT / FIN_WAIT_2
  7005 syn-sent          server's nft drops the SYN on input           SYN_SENT / (listener only)
  7006 syn-recv          client's nft drops its pure ACKs on output    ESTABLISHED / SYN_RECV
  7007 rst               client aborts with SO_LINGER 0 (RST)          (gone) / (gone)
"""
import socket
import struct
import sys
import threading
import time

PORTS = [7001, 7002, 7003, 7004, 7005, 7006, 7007]


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def server(addr):
    keep = []

    def handle(port, conn):
        keep.append(conn)
        if port == 7003:
            while conn.recv(4096):
                pass
            conn.close()
        elif port == 7004:
            conn.sendall(b"bye\n")
            conn.close()
        elif port in (7001, 7002):
            conn.sendall(b"hello\n")
        # 7002: read until EOF but never close
        if port == 7002:
            while conn.recv(4096):
                pass

    def serve(port):
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(16)
        keep.append(s)
        while True:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(port, conn), daemon=True).start()

    for port in PORTS:
        threading.Thread(target=serve, args=(port,), daemon=True).start()
    time.sleep(0.3)
    print("READY", flush=True)
    while True:
        time.sleep(3600)


def client(addr):
    keep = []
    for port in PORTS:
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        keep.append(s)
        if port in (7005, 7006):
            s.setblocking(False)
            try:
                s.connect((addr, port))
            except BlockingIOError:
                pass
            continue
        s.connect((addr, port))
        if port == 7001:
            s.recv(100)
            s.sendall(b"ping\n")
        elif port == 7002:
            s.recv(100)
            s.sendall(b"request\n")
            s.shutdown(socket.SHUT_WR)
        elif port == 7003:
            s.sendall(b"quit\n")
            time.sleep(0.05)
            s.close()
        elif port == 7004:
            s.recv(100)
            # never close: CLOSE_WAIT
        elif port == 7007:
            s.sendall(b"abort\n")
            time.sleep(0.05)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        time.sleep(0.05)
    time.sleep(0.5)
    print("DONE", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    if len(sys.argv) > 3:
        PORTS[:] = [int(p) for p in sys.argv[3].split(",")]
    {"server": server, "client": client}[sys.argv[1]](sys.argv[2])
