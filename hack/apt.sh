# shellcheck shell=bash
# Sourced by hack/setup.sh and benchmarks/setup.sh: which Debian packages are missing, and installing them.

# The packages of "$@" that dpkg does not hold installed, one per line.
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

# apt-get install of "$@" (apt-get update first: a fresh machine has no package lists), quietly.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
