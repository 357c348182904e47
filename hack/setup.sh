#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian 12 machine (as root), idempotently:
# system packages, .venv (newest pyroute2) and .venv-deb (Debian's python3-pyroute2 0.7.2),
# and a collections path whose hostnet.containers is this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
APT_PACKAGES=(iproute2 iptables nftables iputils-ping util-linux procps rsync git make shellcheck
              python3 python3-venv python3-pip python3-pyroute2 python3-netaddr python3-pytest python3-jmespath)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=/usr/bin/python3
stamp() { cat "$@" | sha256sum | cut -c1-16; }

want=$(stamp requirements.txt test-requirements.txt hack/setup.sh)
if [ "$(cat .venv/.stamp 2>/dev/null)" != "$want" ]; then
  echo "setup: building .venv"
  rm -rf .venv
  $PY -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt -r test-requirements.txt
  echo "$want" > .venv/.stamp
fi

# Debian 12's own pyroute2 0.7.2 and netaddr 0.8.0 (system site packages), with ansible-core only.
want_deb=$(stamp requirements.txt hack/setup.sh)
if [ "$(cat .venv-deb/.stamp 2>/dev/null)" != "$want_deb" ]; then
  echo "setup: building .venv-deb"
  rm -rf .venv-deb
  $PY -m venv --system-site-packages .venv-deb
  .venv-deb/bin/pip install -q "$(grep '^ansible-core' requirements.txt)"
  .venv-deb/bin/python - <<'PYEOF'
import importlib.metadata as m  # Debian's package, not a PyPI one
assert m.version('pyroute2').startswith('0.7'), m.version('pyroute2')
import netaddr  # noqa: F401
PYEOF
  echo "$want_deb" > .venv-deb/.stamp
fi

mkdir -p .build/collections/ansible_collections/hostnet
ln -sfn "$root" .build/collections/ansible_collections/hostnet/containers
