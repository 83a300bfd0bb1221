"""Holds CLOSE_WAIT pile-ups for test/live/kill.test.ts: COUNT connections to each of PORTS on ADDR whose clients
close at once while the server never closes its side (server: CLOSE_WAIT, client: FIN_WAIT_2).

usage: cw-pile.py ADDR COUNT PORT [PORT...]   prints "ready"; on "probe PORT" sends a byte on each server-side
socket of PORT and prints one "errno NAME" line per socket ("ok" when the send worked); exits when stdin closes.
"""
import errno
import socket
import sys

addr, count, ports = sys.argv[1], int(sys.argv[2]), [int(p) for p in sys.argv[3:]]
held = {}
listeners = []
for port in ports:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((addr, port))
    listener.listen(64)
    listeners.append(listener)
    held[port] = []
    for _ in range(count):
        c = socket.create_connection((addr, port))
        s, _ = listener.accept()
        c.close()
        held[port].append(s)
print("ready", flush=True)
for line in sys.stdin:
    words = line.split()
    if words and words[0] == "probe":
        for s in held[int(words[1])]:
            try:
                s.send(b"x")
                print("ok", flush=True)
            except OSError as e:
                print("errno", errno.errorcode.get(e.errno, str(e.errno)), flush=True)
        print("probed", flush=True)
