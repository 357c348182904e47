#!/usr/bin/env bash
# The benchmark's peers, installed only for `make bench` (make setup does not need them): Debian's CNI plugins
# (bridge, host-local, portmap under /usr/lib/cni) and netavark (/usr/lib/podman/netavark). Idempotent: apt runs
# only when one is missing. They are only ever run inside emulated hosts (see benchmarks/bench.py).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "bench setup: run as root (apt packages, and the benchmark builds network namespaces)" >&2
  exit 1
fi

PACKAGES=(containernetworking-plugins netavark iproute2 iptables iputils-ping)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for f in /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/portmap /usr/lib/podman/netavark; do
  [ -x "$f" ] || { echo "bench setup: $f is missing after installing the packages" >&2; exit 1; }
done
