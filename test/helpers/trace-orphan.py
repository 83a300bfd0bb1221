"""Stages, before any tracing, an orphan FIN_WAIT2 on loopback in the namespace it runs in: the client closes first
and its fd is gone, so the kernel keeps it as a FIN_WAIT2 mini-socket; the server keeps its end open (CLOSE_WAIT).
Prints "staged <client port>", then on a line on stdin closes the server's end: the peer's FIN moves the mini-socket
to TIME_WAIT. Prints "closed" and waits for stdin to end."""
import socket, sys
port = int(sys.argv[1])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(8)
c = socket.create_connection(("127.0.0.1", port)); a, _ = srv.accept()
client_port = c.getsockname()[1]
c.close()
print(f"staged {client_port}", flush=True)
sys.stdin.readline()
a.close()
print("closed", flush=True)
sys.stdin.read()
