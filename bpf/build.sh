#!/usr/bin/env bash
# Builds dist/bpf/tcpstate-trace: the CO-RE BPF program (clang, against this kernel's BTF) embedded as a libbpf
# skeleton in a small loader (cc + libbpf). Never fails the package build: where a tool or BTF is missing it says
# so on stderr and `tcpstate trace` later explains that tracing is unavailable.
set -u
cd "$(dirname "$0")/.."
out=dist/bpf
work="$out/build"
mkdir -p "$work"
skip() { echo "tcpstate: kernel tracing not built: $1 (tcpstate trace and --trace need it; everything else works)" >&2; exit 0; }
[ "$(uname -s)" = Linux ] || skip "not Linux"
for tool in clang bpftool cc; do command -v "$tool" >/dev/null 2>&1 || skip "'$tool' not found (apt-get install clang bpftool libbpf-dev)"; done
[ -r /sys/kernel/btf/vmlinux ] || skip "this kernel has no BTF (/sys/kernel/btf/vmlinux)"
[ -r /usr/include/bpf/libbpf.h ] || skip "libbpf headers not found (apt-get install libbpf-dev)"
case "$(uname -m)" in
  x86_64) arch=x86 ;; aarch64) arch=arm64 ;; armv7l) arch=arm ;; s390x) arch=s390 ;; ppc64le) arch=powerpc ;;
  riscv64) arch=riscv ;; *) skip "unsupported architecture $(uname -m)" ;;
esac
set -e
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$work/vmlinux.h"
clang -g -O2 -target bpf "-D__TARGET_ARCH_$arch" -I"$work" -c bpf/tcpstate.bpf.c -o "$work/tcpstate.bpf.o"
bpftool gen skeleton "$work/tcpstate.bpf.o" name tcpstate > "$work/tcpstate.skel.h"
cc -O2 -Wall -Wextra -I"$work" -Ibpf bpf/loader.c -o "$out/tcpstate-trace" -lbpf -lelf -lz
rm -rf "$work"
