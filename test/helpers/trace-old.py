"""Stages, before any tracing, a CLOSE_WAIT held by this process (the peer closed) and a TIME_WAIT (this side closed
first) on loopback in the namespace it runs in, prints "staged" and the wall-clock time the CLOSE_WAIT began, and
keeps them for 30 s."""
import socket, time, sys
port = int(sys.argv[1])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(8)
# a CLOSE_WAIT held by us (the peer closed), and a TIME_WAIT (we closed first)
c1 = socket.create_connection(("127.0.0.1", port)); a1, _ = srv.accept(); c1.close(); closed_at = time.time()
# a second apart, so the CLOSE_WAIT is the oldest socket by more than the estimates' error (both are estimated: the
# TIME_WAIT from its timer, the CLOSE_WAIT from tcp_info); staged in the same millisecond, either could rank first
time.sleep(1)
c2 = socket.create_connection(("127.0.0.1", port)); a2, _ = srv.accept(); c2.close(); a2.close()
print(f"staged {closed_at:.3f}", flush=True)
time.sleep(30)
