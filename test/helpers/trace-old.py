"""Stages, before any tracing, a CLOSE_WAIT held by this process (the peer closed) and a TIME_WAIT (this side closed
first) on loopback in the namespace it runs in, prints "staged", and keeps them for 30 s."""
import socket, time, sys
port = int(sys.argv[1])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(8)
# a CLOSE_WAIT held by us (the peer closed), and a TIME_WAIT (we closed first)
c1 = socket.create_connection(("127.0.0.1", port)); a1, _ = srv.accept(); c1.close()
c2 = socket.create_connection(("127.0.0.1", port)); a2, _ = srv.accept(); c2.close(); a2.close()
print("staged", flush=True)
time.sleep(30)
