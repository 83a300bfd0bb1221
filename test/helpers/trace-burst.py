"""A burst of short connections on loopback in the namespace it runs in, as fast as one thread can make them:
thousands of state changes within milliseconds, more than a tiny ring buffer holds between two drains."""
import socket, sys

port, n = int(sys.argv[1]), int(sys.argv[2])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1024)
for _ in range(n):
    cli = socket.create_connection(("127.0.0.1", port)); acc, _ = srv.accept()
    cli.close(); acc.close()
srv.close()
print("done")
