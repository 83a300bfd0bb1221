// SPDX-License-Identifier: GPL-2.0
/* Every TCP state change, from the tracepoint sock:inet_sock_set_state, plus what that tracepoint never says:
 * the TIME_WAIT mini-socket's birth, its FIN_WAIT2 -> TIME_WAIT substate change, and its end. This kernel family
 * may lack kprobes and fentry (lockdown), so the mini-socket is followed through the timer tracepoints, filtered to
 * its timer function tw_timer_handler. The program only copies facts into a ring buffer; all logic is in TypeScript. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "tcpstate.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define S_TIME_WAIT 6
#define S_FIN_WAIT2 5
#define S_CLOSE 7
#define S_CLOSING 11

extern const void tw_timer_handler __ksym;

/* Set by the loader before loading: keep only this network namespace (its nsfs inode); 0 keeps all. Filtering
 * here spares the ring, the pipe and the reader every change of every other namespace. */
const volatile __u32 target_netns = 0;

static __always_inline bool other_netns(const struct sock_common *c)
{
	return target_netns && BPF_CORE_READ(c, skc_net.net, ns.inum) != target_netns;
}
extern unsigned long CONFIG_HZ __kconfig;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

/* [0] records dropped because the ring was full */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct tw_info {
	__u64 cookie;
	__u64 cancel_ts; /* when its timer was last detached (0: armed) */
	__u32 cancel_cpu;
	__u8 substate;
};

/* live mini-sockets we saw born or touched: address -> what we last told user space */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 17);
	__type(key, __u64);
	__type(value, struct tw_info);
} tws SEC(".maps");

/* the FIN_WAIT2 ones among them (orphans waiting for the peer's FIN): the only ones the poll has to look at */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, __u64);
	__type(value, __u8);
} fw2 SEC(".maps");

/* a mini-socket just armed on this CPU: tcp_time_wait arms it, then closes the full socket on the same CPU */
struct fresh_tw {
	__u64 tw;
	__u64 ts;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fresh_tw);
} fresh SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *d = bpf_map_lookup_elem(&drops, &zero);
	if (d)
		*d += 1;
}

static __always_inline void fill_common(struct ts_record *r, const struct sock_common *c)
{
	r->family = BPF_CORE_READ(c, skc_family);
	r->sport = BPF_CORE_READ(c, skc_num);
	r->dport = bpf_ntohs(BPF_CORE_READ(c, skc_dport));
	r->netns = BPF_CORE_READ(c, skc_net.net, ns.inum);
	if (r->family == AF_INET6) {
		BPF_CORE_READ_INTO(&r->saddr, c, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&r->daddr, c, skc_v6_daddr.in6_u.u6_addr8);
	} else {
		__u32 s = BPF_CORE_READ(c, skc_rcv_saddr), d = BPF_CORE_READ(c, skc_daddr);
		__builtin_memcpy(r->saddr, &s, 4);
		__builtin_memcpy(r->daddr, &d, 4);
	}
}

/* Records are submitted without waking the reader: it drains the ring every few milliseconds, so a burst costs
 * one wake-up and one pipe write instead of one per change. */
static __always_inline struct ts_record *reserve(__u8 kind)
{
	struct ts_record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop();
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->ts_ns = bpf_ktime_get_ns();
	return r;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, struct sock *sk, int oldstate, int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP || other_netns(&sk->__sk_common))
		return 0;
	__u64 cookie = bpf_get_socket_cookie(sk);
	__u8 kind = TS_SET_STATE;
	__u8 to = newstate;
	if (newstate == S_CLOSE && (oldstate == S_FIN_WAIT2 || oldstate == S_CLOSING)) {
		__u32 zero = 0;
		struct fresh_tw *f = bpf_map_lookup_elem(&fresh, &zero);
		if (f && f->tw) {
			struct inet_timewait_sock *tw = (void *)f->tw;
			struct tw_info *info = bpf_map_lookup_elem(&tws, &f->tw);
			/* the mini-socket armed just before on this CPU is this socket's when it has the same ports */
			if (info && BPF_CORE_READ(tw, tw_sport) == BPF_CORE_READ((struct inet_sock *)sk, inet_sport) &&
			    BPF_CORE_READ(tw, __tw_common.skc_dport) == sk->__sk_common.skc_dport) {
				kind = TS_TO_TW;
				to = info->substate;
				info->cookie = cookie;
			}
			f->tw = 0;
		}
	}
	struct ts_record *r = reserve(kind);
	if (!r)
		return 0;
	r->cookie = cookie;
	r->skaddr = (__u64)sk;
	r->oldstate = oldstate;
	r->newstate = to;
	struct socket *so = sk->sk_socket;
	if (so) {
		r->ino = BPF_CORE_READ(so, file, f_inode, i_ino);
		/* In softirq the current task is whoever was interrupted; a task that owns the socket lock is in a
		 * system call on this socket, so it has it open. */
		if (sk->sk_lock.owned) {
			r->pid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(r->comm, sizeof(r->comm));
		}
	}
	fill_common(r, &sk->__sk_common);
	/* the bound port (skc_num) is already released when a socket closes; the tracepoint's own sport is this */
	r->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline struct inet_timewait_sock *tw_of(struct timer_list *t)
{
	if ((__u64)BPF_CORE_READ(t, function) != (__u64)&tw_timer_handler)
		return 0;
	return (void *)t - bpf_core_field_offset(struct inet_timewait_sock, tw_timer);
}

static __always_inline void emit_tw(__u8 kind, struct inet_timewait_sock *tw, __u64 cookie, __u8 from, __u8 to,
				    __u64 ts, __u8 flags)
{
	struct ts_record *r = reserve(kind);
	if (!r)
		return;
	if (ts)
		r->ts_ns = ts;
	r->flags = flags;
	r->cookie = cookie;
	r->skaddr = (__u64)tw;
	r->oldstate = from;
	r->newstate = to;
	fill_common(r, &tw->__tw_common);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
}

/* Armed at birth (tcp_time_wait), re-armed when the substate changes or a retransmitted FIN comes (unless the new
 * expiry falls in the same timer-wheel bucket: then nothing fires, and the poll below sees the change). */
SEC("tp_btf/timer_start")
int BPF_PROG(on_timer_start, struct timer_list *t)
{
	struct inet_timewait_sock *tw = tw_of(t);
	if (!tw || other_netns(&tw->__tw_common))
		return 0;
	__u64 key = (__u64)tw;
	__u64 now = bpf_ktime_get_ns();
	__u8 sub = BPF_CORE_READ(tw, tw_substate);
	struct tw_info *info = bpf_map_lookup_elem(&tws, &key);
	/* a re-arm detaches and attaches in one call on one CPU; anything else at this address is a new mini-socket
	 * (the memory of a dead one is reused) */
	if (info && info->cancel_ts &&
	    (info->cancel_cpu != bpf_get_smp_processor_id() || now - info->cancel_ts > 100000))
		info = 0;
	if (!info) {
		struct tw_info fresh_info = {.cookie = BPF_CORE_READ(tw, __tw_common.skc_cookie.counter), .substate = sub};
		bpf_map_update_elem(&tws, &key, &fresh_info, BPF_ANY);
		if (sub == S_FIN_WAIT2) {
			__u8 one = 1;
			bpf_map_update_elem(&fw2, &key, &one, BPF_ANY);
		}
		__u32 zero = 0;
		struct fresh_tw *f = bpf_map_lookup_elem(&fresh, &zero);
		if (f) {
			f->tw = key;
			f->ts = now;
		}
		return 0;
	}
	if (info->cancel_ts) {
		info->cancel_ts = 0;
		emit_tw(TS_TW_REARM, tw, info->cookie, sub, sub, 0, 0);
	}
	if (info->substate != sub) {
		emit_tw(TS_TW_SUBSTATE, tw, info->cookie, info->substate, sub, 0, 0);
		info->substate = sub;
		bpf_map_delete_elem(&fw2, &key);
	}
	return 0;
}

/* A mini-socket's timer detached or ran out: reports its end (`kind`) with the cookie we know it by (or its own,
 * when born before tracing began) and returns what we knew of it; 0 when the timer is not a mini-socket's. */
static __always_inline struct inet_timewait_sock *tw_end(struct timer_list *t, __u8 kind, struct tw_info **info,
							  __u64 *cookie)
{
	struct inet_timewait_sock *tw = tw_of(t);
	if (!tw || other_netns(&tw->__tw_common))
		return 0;
	__u64 key = (__u64)tw;
	*info = bpf_map_lookup_elem(&tws, &key);
	*cookie = *info ? (*info)->cookie : BPF_CORE_READ(tw, __tw_common.skc_cookie.counter);
	emit_tw(kind, tw, *cookie, BPF_CORE_READ(tw, tw_substate), S_CLOSE, 0, 0);
	return tw;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(on_timer_expire, struct timer_list *t)
{
	struct tw_info *info;
	__u64 cookie;
	struct inet_timewait_sock *tw = tw_end(t, TS_TW_EXPIRE, &info, &cookie);
	if (!tw)
		return 0;
	__u64 key = (__u64)tw;
	if (info)
		bpf_map_delete_elem(&tws, &key);
	bpf_map_delete_elem(&fw2, &key);
	return 0;
}

/* timer_cancel fires on every detach: expiry (followed by timer_expire_entry), re-arming (followed by
 * timer_start, reported as TS_TW_REARM) and removal (inet_twsk_deschedule_put). User space tells them apart by
 * what follows for the same mini-socket within a moment. */
SEC("tp_btf/timer_cancel")
int BPF_PROG(on_timer_cancel, struct timer_list *t)
{
	struct tw_info *info;
	__u64 cookie;
	struct inet_timewait_sock *tw = tw_end(t, TS_TW_KILL, &info, &cookie);
	if (!tw)
		return 0;
	__u64 key = (__u64)tw;
	if (info) {
		info->cancel_ts = bpf_ktime_get_ns();
		info->cancel_cpu = bpf_get_smp_processor_id();
	} else {
		/* born before tracing began: remember it so that a re-arm is known as one */
		struct tw_info seen = {.cookie = cookie,
				       .cancel_ts = bpf_ktime_get_ns(),
				       .cancel_cpu = bpf_get_smp_processor_id(),
				       .substate = BPF_CORE_READ(tw, tw_substate)};
		bpf_map_update_elem(&tws, &key, &seen, BPF_ANY);
	}
	return 0;
}

/* Run by the loader (BPF_PROG_TEST_RUN) every few milliseconds: a FIN_WAIT2 mini-socket whose FIN came while the
 * re-armed expiry stayed in the same wheel bucket changed substate silently; its timer's expiry, set to
 * now + TCP_TIMEWAIT_LEN at that moment, says when (to the jiffy). */
static long poll_one(void *map, __u64 *key, __u8 *unused, void *ctx)
{
	struct tw_info *info = bpf_map_lookup_elem(&tws, key);
	if (!info || info->substate != S_FIN_WAIT2) {
		bpf_map_delete_elem(&fw2, key);
		return 0;
	}
	if (info->cancel_ts)
		return 0;
	struct inet_timewait_sock *tw = (void *)*key;
	__u8 sub = BPF_CORE_READ(tw, tw_substate);
	if (sub == info->substate)
		return 0;
	__u64 expires = BPF_CORE_READ(tw, tw_timer.expires);
	__u64 now_j = bpf_jiffies64();
	__u64 now_ns = bpf_ktime_get_ns();
	__u64 hz = CONFIG_HZ ? CONFIG_HZ : 250;
	__u64 entered_j = expires - 60 * hz;
	__u64 ts = now_ns;
	if ((__s64)(now_j - entered_j) >= 0 && now_j - entered_j < 60 * hz)
		ts = now_ns - (now_j - entered_j) * (1000000000ULL / hz);
	emit_tw(TS_TW_SUBSTATE, tw, info->cookie, info->substate, sub, ts, 1);
	info->substate = sub;
	bpf_map_delete_elem(&fw2, key);
	return 0;
}

/* Run by the loader once at start, in each namespace it keeps: the FIN_WAIT2 mini-sockets (orphans) already there.
 * Their substate changes without a tracepoint when the peer's FIN comes; known here, the timer tracepoints and the
 * poll above report it as for one born under tracing. Entries already made (a timer touched since attach) stay. */
SEC("iter/tcp")
int seed_tws(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc || BPF_CORE_READ(skc, skc_state) != S_TIME_WAIT || other_netns(skc))
		return 0;
	struct inet_timewait_sock *tw = (void *)skc;
	__u8 sub = BPF_CORE_READ(tw, tw_substate);
	if (sub != S_FIN_WAIT2)
		return 0;
	__u64 key = (__u64)tw;
	struct tw_info seen = {.cookie = BPF_CORE_READ(tw, __tw_common.skc_cookie.counter), .substate = sub};
	if (bpf_map_update_elem(&tws, &key, &seen, BPF_NOEXIST) == 0) {
		__u8 one = 1;
		bpf_map_update_elem(&fw2, &key, &one, BPF_ANY);
	}
	return 0;
}

SEC("raw_tp")
int poll_tws(void *ctx)
{
	bpf_for_each_map_elem(&fw2, poll_one, 0, 0);
	return 0;
}
