"""Loopback connections at a fixed rate for bench/trace.ts: each one is opened, accepted and closed by both ends
(client first), ten state changes per connection. Prints its own CPU seconds at the end, as JSON."""
import json, os, resource, socket, sys, time

rate, seconds, port = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1024)
start = time.monotonic(); n = 0
while True:
    now = time.monotonic()
    if now - start >= seconds:
        break
    due = start + n / rate
    if due > now:
        time.sleep(due - now)
    c = socket.create_connection(("127.0.0.1", port)); a, _ = srv.accept()
    c.close(); a.close(); n += 1
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"connections": n, "seconds": time.monotonic() - start, "cpu": r.ru_utime + r.ru_stime}))
