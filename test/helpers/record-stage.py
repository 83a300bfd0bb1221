"""Stages connections for the record --trace test, on loopback in the namespace it runs in.

`hold` connections: the client closes at once; the server holds its side in CLOSE_WAIT for HOLD seconds, then
closes. `quick` connections open and close within milliseconds. Prints one JSON line: the CLOSE_WAIT holds as
the server measured them (seconds, from the EOF to its close).
"""
import json, socket, sys, time

port, holds, quick, hold = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(64)
measured = []
for i in range(holds):
    cli = socket.create_connection(("127.0.0.1", port)); acc, _ = srv.accept()
    cli.close()
    acc.recv(1)  # the FIN: acc is in CLOSE_WAIT from here
    t0 = time.monotonic()
    end = t0 + hold
    while time.monotonic() < end:
        left = end - time.monotonic()
        time.sleep(left - 0.005 if left > 0.01 else 0)
    acc.close()
    measured.append(time.monotonic() - t0)
    time.sleep(0.2)
for i in range(quick):
    cli = socket.create_connection(("127.0.0.1", port)); acc, _ = srv.accept()
    cli.close(); acc.recv(1); acc.close()
    time.sleep(0.02)
srv.close()
print(json.dumps({"holds": measured}))
