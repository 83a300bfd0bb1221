"""Stages TCP connections for the kernel-trace truth tests (run inside a network namespace by the test).

Each mode prints one JSON line with what it measured (CLOCK_MONOTONIC seconds, the clock BPF timestamps use),
so the test can compare the tracer's times with the moments the staging itself saw.
"""
import json, os, socket, struct, sys, time

def spin_until(t):
    # sleep most of the way, then spin: a wake-up under load must not add tens of ms to a staged stay
    while True:
        left = t - time.monotonic()
        if left <= 0:
            return
        time.sleep(left - 0.005 if left > 0.01 else 0)

def pair(host, port):
    srv = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port)); srv.listen(64)
    cli = socket.create_connection((host, port)); acc, _ = srv.accept()
    return srv, cli, acc

def enter(ns):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)

def in_ns(ns, *cmd):
    import subprocess
    subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True, capture_output=True)

def scenario(name, ns_a, ns_b, addr_b, port):
    """Client in ns_a, server in ns_b (sockets keep the namespace they were created in)."""
    enter(ns_b)
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr_b, port)); srv.listen(8)
    enter(ns_a)
    if name == "connection-refused":
        c = socket.socket()
        try:
            c.connect((addr_b, port + 1))
        except ConnectionRefusedError:
            pass
        c.close(); srv.close(); return
    if name == "fin-wait-2-timeout":
        in_ns(ns_a, "sysctl", "-qw", "net.ipv4.tcp_fin_timeout=1")
    cli = socket.create_connection((addr_b, port)); acc, _ = srv.accept(); srv.close()
    time.sleep(0.05)
    if name == "active-close":
        cli.close(); time.sleep(0.1); acc.close()
    elif name == "passive-close":
        acc.close(); time.sleep(0.1); cli.close()
    elif name == "simultaneous-close":
        # both FINs are dropped on arrival, so each side closes before it hears the other's FIN; the
        # retransmissions then cross: FIN_WAIT_1 -> CLOSING on both sides
        rules = "add table inet tsim\nadd chain inet tsim in { type filter hook input priority 0; }\nadd rule inet tsim in tcp flags & fin == fin drop\n"
        for ns in (ns_a, ns_b):
            import subprocess
            subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules.encode(), check=True)
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # both sockets' timers on one CPU
        cli.close(); acc.close(); time.sleep(0.05)
        for ns in (ns_a, ns_b):
            in_ns(ns, "nft", "delete", "table", "inet", "tsim")
        time.sleep(1.5)
    elif name == "rst":
        cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); cli.close()
        time.sleep(0.1); acc.close()
    elif name == "fin-wait-2-timeout":
        cli.close(); time.sleep(2.5); acc.close()
    time.sleep(0.2)

mode = sys.argv[1]
out = {"pid": os.getpid()}
if mode == "scenario":
    scenario(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    print(json.dumps(out), flush=True); sys.exit(0)
host, port = sys.argv[2], int(sys.argv[3])
if mode == "close-wait-hold":
    hold = float(sys.argv[4])
    srv, cli, acc = pair(host, port)
    t0 = time.monotonic(); cli.close()          # loopback: the server is in CLOSE_WAIT before close() returns
    spin_until(t0 + hold)
    t1 = time.monotonic(); acc.close()
    out.update(fin=t0, close=t1)
elif mode == "owner-load":
    # accept and close many connections while another process keeps softirq busy (the test runs it)
    n = int(sys.argv[4])
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port)); srv.listen(256)
    print(json.dumps({"pid": os.getpid(), "ready": True}), flush=True)
    for _ in range(n):
        a, _ = srv.accept(); a.recv(1); a.close()
    srv.close()
elif mode == "clients":
    n = int(sys.argv[4])
    for _ in range(n):
        c = socket.create_connection((host, port)); c.send(b"x"); c.recv(1); c.close()
elif mode == "load":
    # loopback connections as fast as possible for the given seconds: softirq work on both CPUs
    end = time.monotonic() + float(sys.argv[4])
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port)); srv.listen(1024)
    while time.monotonic() < end:
        c = socket.create_connection(("127.0.0.1", port)); a, _ = srv.accept()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close(); a.close()
print(json.dumps(out), flush=True)
