#!/bin/sh
# Installs the Debian packages loopscope needs to build, test and demo, when any are missing.
# This is the one list of them; every make target that needs a package calls this first.
# Usage: mk/deps.sh [--print]   (--print lists the packages and exits)
set -eu

PACKAGES="build-essential pkg-config clang llvm bpftool
libbpf-dev libelf-dev zlib1g-dev libunwind-dev libuv1-dev libcjson-dev libcmocka-dev
gnuplot-nox wrk apache2-utils chromium nodejs python3 procps curl cppcheck
time linux-perf valgrind libxml2-utils cmark-gfm python3-yaml
nginx-light redis-server redis-tools memcached libmemcached-tools haproxy python3-uvloop heaptrack
golang-go prometheus"

if [ "${1:-}" = "--print" ]; then
	echo $PACKAGES
	exit 0
fi

missing=""
for p in $PACKAGES; do
	# nodejs may come from elsewhere (nodesource, nvm): a working `node` is enough.
	if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then
		continue
	fi
	if [ "$p" = python3 ] && command -v python3 >/dev/null 2>&1; then
		continue
	fi
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "loopscope: missing Debian packages:$missing — run as root, or: sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "loopscope: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends $missing >/dev/null; } ||
	{ echo "loopscope: apt-get could not install:$missing" >&2; exit 1; }
