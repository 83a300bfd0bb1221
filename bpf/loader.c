// SPDX-License-Identifier: GPL-2.0
/* tcpstate-trace: loads tcpstate.bpf.c (embedded as a libbpf skeleton), attaches it, and copies its records to
 * stdout as fixed-size binary records (tcpstate.h), with a TS_READY record once attached and a TS_STATS record
 * (dropped-record count) every 250 ms. It exits when stdin closes (its parent went away) or on SIGTERM/SIGINT.
 * With --netns INODE only that network namespace's changes are kept (in the kernel).
 * Before TS_READY it walks the kept namespaces' sockets once (seed_tws) so that orphans older than the trace are
 * followed too.
 * Errors are one line on stderr and exit 2 (cannot load/attach) or 1 (other). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcpstate.h"
#include "tcpstate.skel.h"

/* How often the ring is drained: the latency of a change on its way to the reader. */
#define DRAIN_MS 10

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static char out[1 << 16];
static size_t out_len;

static void flush_out(void)
{
	size_t off = 0;
	while (off < out_len) {
		ssize_t n = write(1, out + off, out_len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			exit(0); /* the reader is gone */
		}
		off += (size_t)n;
	}
	out_len = 0;
}

static void put(const void *rec)
{
	if (out_len + TS_RECORD_SIZE > sizeof(out))
		flush_out();
	memcpy(out + out_len, rec, TS_RECORD_SIZE);
	out_len += TS_RECORD_SIZE;
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= TS_RECORD_SIZE)
		put(data);
	return 0;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void put_control(__u8 kind, __u64 a, __u64 b)
{
	struct ts_record r;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.ts_ns = now_ns();
	r.cookie = a; /* TS_STATS: records dropped so far */
	r.skaddr = b; /* TS_STATS: records delivered so far */
	put(&r);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_WARN && getenv("TCPSTATE_TRACE_DEBUG"))
		return vfprintf(stderr, fmt, args);
	if (level == LIBBPF_DEBUG && getenv("TCPSTATE_TRACE_DEBUG"))
		return vfprintf(stderr, fmt, args);
	return 0;
}

/* Runs the seed iterator over the namespace this thread is in (the iterator takes the creator's namespace). */
static void seed_here(struct bpf_link *iter)
{
	int fd = bpf_iter_create(bpf_link__fd(iter));
	if (fd < 0)
		return;
	char buf[256];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

#define MAX_SEEDED 4096

/* Seeds the namespace whose nsfs inode is `want` (every namespace found when 0): each is entered through a file
 * that names it (/run/netns/NAME, or a process's /proc/PID/ns/net), then this process goes back to its own. */
static void seed(struct tcpstate *skel, __u32 want)
{
	struct bpf_link *iter = bpf_program__attach_iter(skel->progs.seed_tws, NULL);
	if (!iter)
		return;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat st;
	static __u32 done[MAX_SEEDED];
	int ndone = 0;
	if (home >= 0 && fstat(home, &st) == 0 && (want == 0 || st.st_ino == want)) {
		seed_here(iter);
		done[ndone++] = (__u32)st.st_ino;
	}
	const char *dirs[] = {"/run/netns", "/proc"};
	for (int d = 0; d < 2 && (want == 0 || ndone == 0); d++) {
		DIR *dir = opendir(dirs[d]);
		if (!dir)
			continue;
		struct dirent *e;
		while ((e = readdir(dir)) && ndone < MAX_SEEDED && (want == 0 || ndone == 0)) {
			if (e->d_name[0] == '.' || (d == 1 && (e->d_name[0] < '0' || e->d_name[0] > '9')))
				continue;
			char path[300];
			snprintf(path, sizeof(path), d == 0 ? "%s/%s" : "%s/%s/ns/net", dirs[d], e->d_name);
			if (stat(path, &st) != 0 || (want != 0 && st.st_ino != want))
				continue;
			int seen = 0;
			for (int i = 0; i < ndone; i++)
				seen |= done[i] == (__u32)st.st_ino;
			if (seen)
				continue;
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (setns(fd, CLONE_NEWNET) == 0) {
				seed_here(iter);
				done[ndone++] = (__u32)st.st_ino;
			}
			close(fd);
		}
		closedir(dir);
	}
	if (home >= 0) {
		setns(home, CLONE_NEWNET);
		close(home);
	}
	bpf_link__destroy(iter);
}

/* Opens the program, configures it and loads it into the kernel; with `seeding` off, without seed_tws. Returns 0,
 * 1 when it could not even open the program (said on stderr), or the load's negative errno. */
static int open_and_load(struct tcpstate **out_skel, __u32 netns, __u32 ring_bytes, bool seeding)
{
	struct tcpstate *skel = tcpstate__open();
	if (!skel) {
		fprintf(stderr, "tcpstate-trace: cannot open the BPF program: %s\n", strerror(errno));
		return 1; /* said; not worth a second try */
	}
	bpf_program__set_autoattach(skel->progs.poll_tws, false);
	bpf_program__set_autoattach(skel->progs.seed_tws, false);
	bpf_program__set_autoload(skel->progs.seed_tws, seeding);
	skel->rodata->target_netns = netns;
	if (ring_bytes)
		bpf_map__set_max_entries(skel->maps.events, ring_bytes);
	int err = tcpstate__load(skel);
	if (err) {
		tcpstate__destroy(skel);
		return err;
	}
	*out_skel = skel;
	return 0;
}

int main(int argc, char **argv)
{
	_Static_assert(sizeof(struct ts_record) == TS_RECORD_SIZE, "record size");
	libbpf_set_print(quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	/* TCPSTATE_TRACE_RING_BYTES: the ring's size (a power of two, at least a page; default 4 MiB). Smaller loses
	 * changes under bursts (counted and reported); the tests use it to check that losses are said and harmless. */
	const char *ring = getenv("TCPSTATE_TRACE_RING_BYTES");
	__u32 ring_bytes = 0;
	if (ring && *ring) {
		unsigned long bytes = strtoul(ring, NULL, 10);
		if (bytes < 4096 || (bytes & (bytes - 1)) != 0) {
			fprintf(stderr, "tcpstate-trace: TCPSTATE_TRACE_RING_BYTES=%s is not a power of two of at least 4096\n", ring);
			return 1;
		}
		ring_bytes = (__u32)bytes;
	}
	/* --netns INODE: only that network namespace */
	__u32 netns = 0;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--netns") == 0)
			netns = (__u32)strtoul(argv[i + 1], NULL, 10);

	struct tcpstate *skel = NULL;
	int err = open_and_load(&skel, netns, ring_bytes, true);
	if (err < 0) /* a kernel without TCP socket iterators (before 5.9) still traces; only older orphans go unseen */
		err = open_and_load(&skel, netns, ring_bytes, false);
	if (err > 0)
		return 2;
	if (err) {
		fprintf(stderr, "tcpstate-trace: the kernel refused the BPF program: %s\n", strerror(-err));
		return 2;
	}
	err = tcpstate__attach(skel);
	if (err) {
		fprintf(stderr, "tcpstate-trace: cannot attach to the tracepoints: %s\n", strerror(-err));
		return 2;
	}
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "tcpstate-trace: cannot read the ring buffer: %s\n", strerror(errno));
		return 2;
	}
	int ncpu = libbpf_num_possible_cpus();
	__u64 *per_cpu = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(__u64));
	int poll_fd = bpf_program__fd(skel->progs.poll_tws);
	if (bpf_program__autoload(skel->progs.seed_tws))
		seed(skel, netns);
	put_control(TS_READY, 0, 0);
	flush_out();

	unsigned long long last_stats = now_ns(), delivered = 0;
	struct pollfd in = {.fd = 0, .events = POLLIN};
	while (!stop) {
		/* The BPF side never wakes us (BPF_RB_NO_WAKEUP): drain every DRAIN_MS, and watch stdin meanwhile. */
		int ready = poll(&in, 1, DRAIN_MS);
		if (ready > 0 && (in.revents & (POLLIN | POLLHUP | POLLERR))) {
			char c;
			if (read(0, &c, 1) <= 0)
				break; /* the parent is gone or asked us to stop */
		}
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		bpf_prog_test_run_opts(poll_fd, &opts);
		int n = ring_buffer__consume(rb);
		if (n < 0 && n != -EINTR)
			break;
		if (n > 0)
			delivered += (unsigned long long)n;
		unsigned long long t = now_ns();
		if (t - last_stats >= 250000000ULL) {
			__u32 zero = 0;
			__u64 dropped = 0;
			if (per_cpu && bpf_map_lookup_elem(bpf_map__fd(skel->maps.drops), &zero, per_cpu) == 0)
				for (int i = 0; i < ncpu; i++)
					dropped += per_cpu[i];
			put_control(TS_STATS, dropped, delivered);
			last_stats = t;
		}
		if (out_len)
			flush_out();
	}
	ring_buffer__consume(rb);
	if (out_len)
		flush_out();
	ring_buffer__free(rb);
	tcpstate__destroy(skel);
	return 0;
}
