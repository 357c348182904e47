#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian 12 machine (as root), idempotently:
# system packages, .venv (newest pyroute2) and .venv-deb (Debian's python3-pyroute2 0.7.2),
# and a collections path whose hostnet.containers is this checkout.
# A second run only checks: apt runs when a package is missing, pip when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/apt.sh
source hack/apt.sh
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (apt packages, and the tests build network namespaces)" >&2
  exit 1
fi

# ansible-test sanity runs the shellcheck program on hack/*.sh and skips that test (only a warning) without it;
# the reliability tests kill and fail modules at chosen system calls with strace.
# systemd provides systemd-analyze, which verifies the unit files the collection ships (nothing is started);
# podman runs a workload in a container's namespace inside an emulated host (docs/real-hosts.md).
# openssh-server is for the SSH smoke test (hack/ssh_smoke.py), which starts its own sshd inside an emulated host.
# dnsmasq-base is the networks' name server (and the tests' DHCP server); busybox's udhcpc the DHCP client of
# networks with ipam_driver dhcp.
APT_PACKAGES=(iproute2 iptables nftables iputils-ping util-linux procps rsync git make shellcheck strace
              python3 python3-venv python3-pip python3-pyroute2 python3-netaddr python3-pytest python3-jmespath
              openssh-server openssh-client systemd podman dnsmasq-base busybox)

mapfile -t missing < <(missing_packages "${APT_PACKAGES[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  # Installing openssh-server must not start an sshd on this machine, now or at boot: Debian's ssh service
  # never starts while /etc/ssh/sshd_not_to_be_run exists, and a policy-rc.d that says 101 stops the package
  # scripts from starting any service during this install (one already there is left as it is).
  if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
    mkdir -p /etc/ssh
    touch /etc/ssh/sshd_not_to_be_run
  fi
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# hostnet.containers hack/setup.sh: no service starts during its apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  sshd_before=$(pgrep -x sshd | sort || true)
  apt_install "${missing[@]}"
  sshd_new=$(comm -13 <(echo "$sshd_before") <(pgrep -x sshd | sort || true) | grep . || true)
  if [ -n "$sshd_new" ]; then
    echo "setup: FAILED, the install started sshd (pid $sshd_new) on this machine" >&2
    exit 1
  fi
fi

PY=/usr/bin/python3
# The stamp is the content of the requirements files: pip runs again only when they change.
stamp() { cat "$@" | sha256sum | cut -c1-16; }

want=$(stamp requirements.txt test-requirements.txt)
if [ "$(cat .venv/.stamp 2>/dev/null)" != "$want" ]; then
  if ! .venv/bin/python -c 'import sys' 2>/dev/null; then
    echo "setup: creating .venv"
    rm -rf .venv
    $PY -m venv .venv
    .venv/bin/pip install -q --upgrade pip
  fi
  echo "setup: installing requirements.txt and test-requirements.txt into .venv"
  .venv/bin/pip install -q -r requirements.txt -r test-requirements.txt
  echo "$want" > .venv/.stamp
fi

# Debian 12's own pyroute2 0.7.2, netaddr 0.8.0 and pytest (system site packages), with ansible-core only.
want_deb=$(stamp requirements.txt)
if [ "$(cat .venv-deb/.stamp 2>/dev/null)" != "$want_deb" ]; then
  if ! .venv-deb/bin/python -c 'import sys' 2>/dev/null; then
    echo "setup: creating .venv-deb"
    rm -rf .venv-deb
    $PY -m venv --system-site-packages .venv-deb
  fi
  echo "setup: installing ansible-core into .venv-deb"
  .venv-deb/bin/pip install -q "$(grep '^ansible-core' requirements.txt)"
  .venv-deb/bin/python - <<'PYEOF'
import importlib.metadata as m  # Debian's packages, not PyPI ones
assert m.version('pyroute2').startswith('0.7'), m.version('pyroute2')
import netaddr  # noqa: F401
import pytest  # noqa: F401
PYEOF
  echo "$want_deb" > .venv-deb/.stamp
fi

mkdir -p .build/collections/ansible_collections/hostnet
ln -sfn "$root" .build/collections/ansible_collections/hostnet/containers
