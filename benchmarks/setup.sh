#!/usr/bin/env bash
# The benchmark's peers, installed only for `make bench` (make setup does not need them): Debian's CNI plugins
# (bridge, host-local, portmap under /usr/lib/cni) and netavark (/usr/lib/podman/netavark). Idempotent: apt runs
# only when one is missing. They are only ever run inside emulated hosts (see benchmarks/bench.py).
set -euo pipefail
# shellcheck source=hack/apt.sh
source "$(dirname "$0")/../hack/apt.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "bench setup: run as root (apt packages, and the benchmark builds network namespaces)" >&2
  exit 1
fi

PACKAGES=(containernetworking-plugins netavark iproute2 iptables iputils-ping)
mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench setup: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi
for f in /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/portmap /usr/lib/podman/netavark; do
  [ -x "$f" ] || { echo "bench setup: $f is missing after installing the packages" >&2; exit 1; }
done
