/* The record the BPF program hands the loader and the loader hands Node, byte for byte (little-endian).
 * src/sources/trace/record.ts reads the same layout; change both together. */
#ifndef TCPSTATE_TRACE_H
#define TCPSTATE_TRACE_H

#define TS_RECORD_SIZE 104

enum ts_kind {
	TS_SET_STATE = 1,  /* the tracepoint sock:inet_sock_set_state (a full socket changed state) */
	TS_TO_TW = 2,      /* a full socket in FIN_WAIT2/CLOSING was replaced by its TIME_WAIT mini-socket;
	                      newstate is the mini-socket's substate (TIME_WAIT, or FIN_WAIT2 for an orphan) */
	TS_TW_SUBSTATE = 3,/* a mini-socket's substate moved FIN_WAIT2 -> TIME_WAIT (the peer's FIN arrived) */
	TS_TW_EXPIRE = 4,  /* a mini-socket's timer ran out: it is gone */
	TS_TW_KILL = 5,    /* a mini-socket was removed before its timer ran out (reuse, RST, namespace exit) */
	TS_TW_REARM = 6,   /* a mini-socket's timer was re-armed: the TS_TW_KILL just before it was not an end */
	TS_STATS = 100,    /* loader: counters (dropped records, ...) */
	TS_READY = 101,    /* loader: all programs attached */
};

struct ts_record {
	__u64 ts_ns;      /* bpf_ktime_get_ns (CLOCK_MONOTONIC), or the derived moment for TS_TW_SUBSTATE */
	__u64 cookie;     /* socket cookie (the mini-socket inherits the full socket's) */
	__u64 skaddr;     /* kernel address of the socket or mini-socket (identity when the cookie is 0) */
	__u64 ino;        /* inode of the socket's file, 0 when none (accept queue, orphan, mini-socket) */
	__u32 netns;      /* network namespace inode number */
	__u32 pid;        /* the task holding the socket's lock in a system call on it (connect, close, shutdown,
	                     or the backlog it runs on release): a process with the socket open; 0 in softirq */
	__u8 kind;
	__u8 oldstate;
	__u8 newstate;
	__u8 flags;       /* bit 0: ts_ns derived from the timer's expiry (jiffies precision) */
	__u16 family;
	__u16 sport;      /* host order */
	__u16 dport;      /* host order */
	__u16 pad;
	__u8 saddr[16];   /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	char comm[16];    /* that task's command, when pid is set */
};

#endif
