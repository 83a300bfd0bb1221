/*
 * tcpstate's kernel data plane: NETLINK_SOCK_DIAG for TCP, as `ss` (iproute2 misc/ss.c) talks to it.
 *
 * This file only talks to the kernel. It hands JavaScript one ArrayBuffer of fixed-size records per dump (the
 * kernel's struct inet_diag_msg copied as is, then the attributes we keep at fixed offsets); everything that gives
 * the bytes a meaning (addresses, states, timers, tcp_info fields, filters, grouping) is TypeScript:
 * src/sources/netlink/records.ts holds the same layout and must change with it (LAYOUT_VERSION).
 *
 * Exports (all synchronous; a dump of 100k sockets is tens of milliseconds of kernel time):
 *   open(nsPath?: string): number             a NETLINK_SOCK_DIAG socket, created inside the network namespace
 *                                             nsPath names (the calling thread enters it and comes back)
 *   close(fd: number): void
 *   dump(fd, family, states, ext, bytecode?): ArrayBuffer
 *                                             TCP sockets of one family (AF_INET or AF_INET6: an inet_diag_req_v2
 *                                             dump) or both (0: one v1 dump, a single walk of the kernel's tables,
 *                                             AF_INET records first) in the idiag_states mask; ext is the idiag_ext
 *                                             mask (INFO, SKMEMINFO...); bytecode an INET_DIAG_REQ_BYTECODE filter
 *   lookup(fd, records: Uint8Array, stride, ext): ArrayBuffer
 *                                             the sockets these records (of a dump) name, asked one by one by
 *                                             exact 4-tuple and cookie (no table walk); the gone ones are left out
 *   destroy(fd, record: Uint8Array): number   SOCK_DESTROY for the socket a record describes; 0 or an errno
 *   readFiles(nsPath: string, paths: string[]): (string|null)[]
 *                                             reads small files (/proc/net/snmp, /proc/sys/net/...) from inside
 *                                             the namespace: /proc/sys/net and /proc/self/net show the reader's
 *   recordSize(ext: number): number, layoutVersion: number
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <node_api.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOCK_DESTROY
#define SOCK_DESTROY 21
#endif
/* Numbered here rather than taken from the headers: the build machine's headers may predate the kernel. */
#define ATTR_INFO 2
#define ATTR_SKMEMINFO 7
#define ATTR_SHUTDOWN 8
#define ATTR_CGROUP_ID 21

#define LAYOUT_VERSION 1
/* Base record: struct inet_diag_msg (72 bytes), flags u32 @72, tcp_info length u32 @76, cgroup id u64 @80,
 * shutdown u8 @88, padding to 96. Extended record (when ext asks for INFO or SKMEMINFO): skmeminfo 10 x u32 @96,
 * tcp_info (first INFO_CAP bytes, zero-filled past the kernel's length) @136. */
#define BASE_SIZE 96
#define MEM_OFF 96
#define MEM_WORDS 10
#define INFO_OFF 136
#define INFO_CAP 248
#define FULL_SIZE (INFO_OFF + INFO_CAP)
#define F_INFO 1u
#define F_SKMEMINFO 2u
#define F_CGROUP 4u
#define F_SHUTDOWN 8u

#define RECV_SIZE (1 << 20)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "%d", err);
  napi_value ecode, emsg, error, errnum;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &ecode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &emsg);
  napi_create_error(env, NULL, emsg, &error);
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || len >= size - 1) return -1;
  return 0;
}

/* Runs fn inside the network namespace at ns_path on this thread, then returns the thread to where it was. */
static int with_netns(const char *ns_path, int (*fn)(void *), void *arg, int *fn_result) {
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return errno;
  int target = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(self);
    return e;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(target);
    close(self);
    return e;
  }
  *fn_result = fn(arg);
  int back = setns(self, CLONE_NEWNET);
  close(target);
  close(self);
  /* Staying in the other namespace would silently point every later socket of this thread there. */
  if (back < 0) abort();
  return 0;
}

static int open_diag_socket(void *unused) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -errno;
  return fd;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  int fd = -1;
  if (t == napi_string) {
    char path[4096];
    if (get_string(env, argv[0], path, sizeof path) < 0) return throw_type(env, "open: namespace path too long");
    int err = with_netns(path, open_diag_socket, NULL, &fd);
    if (err != 0) return throw_errno(env, "entering the network namespace", err);
  } else {
    fd = open_diag_socket(NULL);
  }
  if (fd < 0) return throw_errno(env, "socket(AF_NETLINK, NETLINK_SOCK_DIAG)", -fd);
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return throw_type(env, "close(fd)");
  close(fd);
  return NULL;
}

struct out_buf {
  uint8_t *data;
  size_t len, cap;
};

static int grow(struct out_buf *o, size_t need) {
  if (o->len + need <= o->cap) return 0;
  size_t cap = o->cap ? o->cap : (1 << 20);
  while (cap < o->len + need) cap *= 2;
  uint8_t *p = realloc(o->data, cap);
  if (p == NULL) return ENOMEM;
  o->data = p;
  o->cap = cap;
  return 0;
}

static int send_request(int fd, uint16_t type, uint16_t flags, const void *req, size_t req_len,
                        const uint8_t *bytecode, size_t bc_len) {
  struct nlmsghdr nlh;
  struct rtattr rta;
  struct sockaddr_nl nladdr = {.nl_family = AF_NETLINK};
  struct iovec iov[4];
  int n = 0;
  memset(&nlh, 0, sizeof nlh);
  nlh.nlmsg_len = NLMSG_LENGTH(req_len);
  nlh.nlmsg_type = type;
  nlh.nlmsg_flags = flags;
  nlh.nlmsg_seq = 1;
  iov[n++] = (struct iovec){&nlh, sizeof nlh};
  iov[n++] = (struct iovec){(void *)req, req_len};
  if (bc_len > 0) {
    rta.rta_type = INET_DIAG_REQ_BYTECODE;
    rta.rta_len = RTA_LENGTH(bc_len);
    nlh.nlmsg_len += RTA_ALIGN(rta.rta_len);
    iov[n++] = (struct iovec){&rta, sizeof rta};
    iov[n++] = (struct iovec){(void *)bytecode, RTA_ALIGN(bc_len)};
  }
  struct msghdr msg = {.msg_name = &nladdr, .msg_namelen = sizeof nladdr, .msg_iov = iov, .msg_iovlen = n};
  for (;;) {
    if (sendmsg(fd, &msg, 0) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

/* Copies one inet_diag_msg and the attributes we keep into a record. */
static void fill_record(uint8_t *rec, size_t size, const struct nlmsghdr *h) {
  const struct inet_diag_msg *m = NLMSG_DATA(h);
  memset(rec, 0, size);
  memcpy(rec, m, sizeof *m);
  uint32_t flags = 0;
  int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof *m);
  const struct rtattr *a = (const struct rtattr *)(m + 1);
  for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    const uint8_t *data = RTA_DATA(a);
    size_t dlen = RTA_PAYLOAD(a);
    switch (a->rta_type) {
      case ATTR_CGROUP_ID:
        if (dlen >= 8) {
          memcpy(rec + 80, data, 8);
          flags |= F_CGROUP;
        }
        break;
      case ATTR_SHUTDOWN:
        if (dlen >= 1) {
          rec[88] = data[0];
          flags |= F_SHUTDOWN;
        }
        break;
      case ATTR_INFO:
        if (size == FULL_SIZE) {
          uint32_t il = (uint32_t)dlen;
          memcpy(rec + 76, &il, 4);
          memcpy(rec + INFO_OFF, data, dlen < INFO_CAP ? dlen : INFO_CAP);
          flags |= F_INFO;
        }
        break;
      case ATTR_SKMEMINFO:
        if (size == FULL_SIZE) {
          size_t n = dlen < MEM_WORDS * 4 ? dlen : MEM_WORDS * 4;
          memcpy(rec + MEM_OFF, data, n);
          flags |= F_SKMEMINFO;
        }
        break;
    }
  }
  memcpy(rec + 72, &flags, 4);
}

static size_t record_size(uint32_t ext) {
  return (ext & ((1u << (ATTR_INFO - 1)) | (1u << (ATTR_SKMEMINFO - 1)))) ? FULL_SIZE : BASE_SIZE;
}

/* Receives the whole dump: AF_INET records into o[0], AF_INET6 ones into o[1] (a dump of both families answers them
 * interleaved in hash order; split here, each family keeps the order its own dump would have). *got_any says whether
 * a record came before an error, so the caller knows it may still retry another way. Returns 0 or an errno. */
static int recv_dump(int fd, uint8_t *buf, struct out_buf o[2], size_t size, int *got_any) {
  for (;;) {
    struct sockaddr_nl nladdr;
    struct iovec iov = {buf, RECV_SIZE};
    struct msghdr msg = {.msg_name = &nladdr, .msg_namelen = sizeof nladdr, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t got = recvmsg(fd, &msg, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (got == 0) return EPIPE;
    if (msg.msg_flags & MSG_TRUNC) return EMSGSIZE;
    int left = (int)got;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return e->error ? -e->error : EPROTO;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY && h->nlmsg_type != TCPDIAG_GETSOCK) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
      struct out_buf *to = &o[((const struct inet_diag_msg *)NLMSG_DATA(h))->idiag_family == AF_INET6];
      int err = grow(to, size);
      if (err) return err;
      fill_record(to->data + to->len, size, h);
      to->len += size;
      *got_any = 1;
    }
  }
}

/* One dump of both families in a single walk of the kernel's socket tables: the inet_diag_req (v1) request, which the
 * kernel answers for AF_UNSPEC (what `ss` falls back to, tcpdiag_send in misc/ss.c). Two inet_diag_req_v2 dumps, one
 * per family, walk every hash bucket and every socket of the host twice; this walks them once. */
static int send_compat_request(int fd, uint32_t states, uint32_t ext, const uint8_t *bytecode, size_t bc_len) {
  struct inet_diag_req req;
  memset(&req, 0, sizeof req);
  req.idiag_family = AF_INET; /* not read by the kernel's dump: it asks for AF_UNSPEC */
  req.idiag_ext = (uint8_t)ext;
  req.idiag_states = states;
  return send_request(fd, TCPDIAG_GETSOCK, NLM_F_REQUEST | NLM_F_DUMP, &req, sizeof req, bytecode, bc_len);
}

static napi_value js_dump(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, family;
  uint32_t states, ext;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &family) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &states) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &ext) != napi_ok) {
    return throw_type(env, "dump(fd, family, states, ext, bytecode?)");
  }
  const uint8_t *bc = NULL;
  size_t bc_len = 0;
  if (argc >= 5) {
    bool is_ta = false;
    napi_is_typedarray(env, argv[4], &is_ta);
    if (is_ta) {
      napi_typedarray_type tt;
      void *data;
      napi_get_typedarray_info(env, argv[4], &tt, &bc_len, &data, NULL, NULL);
      if (tt != napi_uint8_array) return throw_type(env, "dump: bytecode must be a Uint8Array");
      bc = data;
    }
  }
  uint8_t *buf = malloc(RECV_SIZE);
  if (buf == NULL) return throw_errno(env, "sock_diag dump", ENOMEM);
  struct out_buf o[2] = {{0}, {0}};
  size_t size = record_size(ext);
  int err = -1;
  if (family == 0) {
    int got_any = 0;
    err = send_compat_request(fd, states, ext, bc, bc_len);
    if (err == 0) err = recv_dump(fd, buf, o, size, &got_any);
    /* A kernel without the v1 request (or refusing it) answered before any socket: ask per family instead. */
    if (err != 0 && !got_any) err = -1;
  }
  if (err == -1) {
    err = 0;
    /* Per family, AF_INET first (AF_INET6 includes v4-mapped sockets). */
    int families[2] = {family == 0 ? AF_INET : family, family == 0 ? AF_INET6 : 0};
    for (int i = 0; i < 2 && families[i] != 0 && err == 0; i++) {
      struct inet_diag_req_v2 req;
      memset(&req, 0, sizeof req);
      req.sdiag_family = (uint8_t)families[i];
      req.sdiag_protocol = IPPROTO_TCP;
      req.idiag_ext = (uint8_t)ext;
      req.idiag_states = states;
      int got_any = 0;
      err = send_request(fd, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, &req, sizeof req, bc, bc_len);
      if (err == 0) err = recv_dump(fd, buf, o, size, &got_any);
    }
  }
  free(buf);
  if (err) {
    free(o[0].data);
    free(o[1].data);
    return throw_errno(env, "sock_diag dump", err);
  }
  /* Copied into a buffer V8 owns rather than handed over as an external one: an external buffer's finalizer is
   * queued on the Node environment that made it, and when a worker thread is terminated while it still holds one
   * (the server's snapshot worker at shutdown) that finalizer can run after the environment is gone and abort the
   * process (SIGILL). The copy costs a few milliseconds at 100k sockets. AF_INET records first, as two dumps give. */
  napi_value out;
  void *copy = NULL;
  napi_status st = napi_create_arraybuffer(env, o[0].len + o[1].len, &copy, &out);
  if (st == napi_ok) {
    if (o[0].len > 0) memcpy(copy, o[0].data, o[0].len);
    if (o[1].len > 0) memcpy((uint8_t *)copy + o[0].len, o[1].data, o[1].len);
  }
  free(o[0].data);
  free(o[1].data);
  if (st != napi_ok) return throw_errno(env, "sock_diag dump", ENOMEM);
  return out;
}

/* Sends one exact request (no NLM_F_DUMP) for the socket a record names and receives the answer into o: the
 * kernel finds it by hash (its 4-tuple, interface and cookie) without walking any table. 0, or an errno (ENOENT
 * when it is gone, ESTALE when its 4-tuple now belongs to another socket). */
static int lookup_one(int fd, uint8_t *buf, const uint8_t *rec, uint32_t ext, struct out_buf *o) {
  const struct inet_diag_msg *m = (const struct inet_diag_msg *)rec;
  struct inet_diag_req_v2 req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = m->idiag_family;
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_ext = (uint8_t)ext;
  req.idiag_states = ~0u;
  req.id = m->id;
  int err = send_request(fd, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, &req, sizeof req, NULL, 0);
  if (err) return err;
  for (;;) {
    ssize_t got = recv(fd, buf, RECV_SIZE, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno;
    int left = (int)got;
    const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
    if (!NLMSG_OK(h, left)) return EPROTO;
    if (h->nlmsg_type == NLMSG_ERROR) {
      const struct nlmsgerr *e = NLMSG_DATA(h);
      return e->error ? -e->error : EPROTO;
    }
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
      return EPROTO;
    size_t size = record_size(ext);
    err = grow(o, size);
    if (err) return err;
    fill_record(o->data + o->len, size, h);
    o->len += size;
    return 0;
  }
}

static napi_value js_lookup(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint32_t stride, ext;
  bool is_ta = false;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &stride) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &ext) != napi_ok)
    return throw_type(env, "lookup(fd, records, stride, ext)");
  napi_is_typedarray(env, argv[1], &is_ta);
  if (!is_ta) return throw_type(env, "lookup: records must be a Uint8Array");
  napi_typedarray_type tt;
  size_t len;
  void *data;
  napi_get_typedarray_info(env, argv[1], &tt, &len, &data, NULL, NULL);
  if (tt != napi_uint8_array || stride < sizeof(struct inet_diag_msg) || len % stride != 0)
    return throw_type(env, "lookup: records must be whole records");
  uint8_t *buf = malloc(RECV_SIZE);
  if (buf == NULL) return throw_errno(env, "sock_diag lookup", ENOMEM);
  struct out_buf o = {0};
  int err = 0;
  for (size_t off = 0; off < len && err == 0; off += stride) {
    err = lookup_one(fd, buf, (const uint8_t *)data + off, ext, &o);
    /* Closed since the dump, or its 4-tuple reused: not there any more, as a later dump would say. */
    if (err == ENOENT || err == ESTALE) err = 0;
  }
  free(buf);
  if (err) {
    free(o.data);
    return throw_errno(env, "sock_diag lookup", err);
  }
  napi_value out;
  void *copy = NULL;
  napi_status st = napi_create_arraybuffer(env, o.len, &copy, &out);
  if (st == napi_ok && o.len > 0) memcpy(copy, o.data, o.len);
  free(o.data);
  if (st != napi_ok) return throw_errno(env, "sock_diag lookup", ENOMEM);
  return out;
}

static napi_value js_destroy(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  bool is_ta = false;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return throw_type(env, "destroy(fd, record)");
  napi_is_typedarray(env, argv[1], &is_ta);
  if (!is_ta) return throw_type(env, "destroy: record must be a Uint8Array");
  napi_typedarray_type tt;
  size_t len;
  void *data;
  napi_get_typedarray_info(env, argv[1], &tt, &len, &data, NULL, NULL);
  if (tt != napi_uint8_array || len < sizeof(struct inet_diag_msg)) return throw_type(env, "destroy: short record");
  const struct inet_diag_msg *m = data;
  struct inet_diag_req_v2 req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = m->idiag_family;
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_states = ~0u;
  req.id = m->id;
  int err = send_request(fd, SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, &req, sizeof req, NULL, 0);
  if (err == 0) {
    uint8_t buf[4096];
    for (;;) {
      ssize_t got = recv(fd, buf, sizeof buf, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        err = errno;
        break;
      }
      const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
      if (got < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR) {
        err = EPROTO;
        break;
      }
      err = -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
      break;
    }
  }
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

struct read_files_arg {
  char **paths;
  uint32_t n;
  char **texts;
};

static int read_files_here(void *p) {
  struct read_files_arg *a = p;
  for (uint32_t i = 0; i < a->n; i++) {
    int fd = open(a->paths[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap + 1);
    while (text != NULL) {
      ssize_t got = read(fd, text + len, cap - len);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      len += (size_t)got;
      if (len == cap) {
        char *bigger = realloc(text, cap * 2 + 1);
        if (bigger == NULL) break;
        text = bigger;
        cap *= 2;
      }
    }
    close(fd);
    if (text != NULL) text[len] = 0;
    a->texts[i] = text;
  }
  return 0;
}

static napi_value js_read_files(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ns[4096];
  bool is_array = false;
  if (argc < 2 || get_string(env, argv[0], ns, sizeof ns) < 0) return throw_type(env, "readFiles(nsPath, paths)");
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) return throw_type(env, "readFiles: paths must be an array");
  uint32_t n;
  napi_get_array_length(env, argv[1], &n);
  struct read_files_arg a = {calloc(n + 1, sizeof(char *)), n, calloc(n + 1, sizeof(char *))};
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[1], i, &v);
    a.paths[i] = calloc(4096, 1);
    if (get_string(env, v, a.paths[i], 4096) < 0) a.paths[i][0] = 0;
  }
  int ignored;
  int err = with_netns(ns, read_files_here, &a, &ignored);
  napi_value out;
  napi_create_array_with_length(env, n, &out);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (a.texts[i] != NULL) {
      napi_create_string_utf8(env, a.texts[i], NAPI_AUTO_LENGTH, &v);
    } else {
      napi_get_null(env, &v);
    }
    napi_set_element(env, out, i, v);
    free(a.texts[i]);
    free(a.paths[i]);
  }
  free(a.texts);
  free(a.paths);
  if (err) return throw_errno(env, "entering the network namespace", err);
  return out;
}

static napi_value js_record_size(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t ext = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_uint32(env, argv[0], &ext);
  napi_value out;
  napi_create_uint32(env, (uint32_t)record_size(ext), &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dump", NULL, js_dump, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lookup", NULL, js_lookup, NULL, NULL, NULL, napi_enumerable, NULL},
      {"destroy", NULL, js_destroy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readFiles", NULL, js_read_files, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recordSize", NULL, js_record_size, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value v;
  napi_create_uint32(env, LAYOUT_VERSION, &v);
  napi_set_named_property(env, exports, "layoutVersion", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
