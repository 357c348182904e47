#!/usr/bin/env bash
# ansible-test sanity or units on a copy of the collection placed under ansible_collections/hostnet/containers,
# offline, with empty ignore files (units run in .venv itself, see below).
# Usage: hack/ansible_test.sh sanity|units [ansible-test options]
#
# Offline: ansible-test runs each sanity test that needs its own tools (import, pep8, pylint, validate-modules,
# yamllint...) in a virtual environment it creates. It puts pip into each one by
# running a bootstrap script it downloads once from ci-files.testing.ansible.com (unreachable here) and caches
# as ~/.ansible/test/cache/get_pip_<pip version>.py. Placing hack/get_pip_offline.py there first makes
# ansible-test use it: pip comes from Python's own ensurepip wheel, the pinned test requirements from PyPI.
#
# Ignore files: tests/sanity/ignore-X.Y.txt exists, empty, for every ansible-core release the collection
# supports (meta/runtime.yml, requirements.txt); one with a line in it, or none for the ansible-core in use,
# fails this script. Nothing may be skipped quietly either: a missing program (shellcheck) or a skipped
# sanity test fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command=${1:?usage: hack/ansible_test.sh sanity|units [ansible-test options]}
shift
case $command in sanity|units) ;; *) echo "ansible_test: unknown command $command" >&2; exit 2 ;; esac
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"

core_version=$("$venv/bin/python" -c 'from ansible.release import __version__ as v; print(".".join(v.split(".")[:2]))')
ignore=tests/sanity/ignore-$core_version.txt
if [ ! -f "$ignore" ]; then
  echo "ansible_test: $ignore is missing: ansible-core $core_version is not one the collection says it supports" >&2
  exit 1
fi
for f in tests/sanity/ignore-*.txt; do
  if [ -s "$f" ]; then
    echo "ansible_test: $f must stay empty (fix the code instead of ignoring a sanity error):" >&2
    cat "$f" >&2
    exit 1
  fi
done

at="$venv/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py"
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',/\1/p" "$at" | head -1)
[ -n "$pip_version" ] || { echo "ansible_test: cannot find ansible-test's pip version in $at" >&2; exit 1; }
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp hack/get_pip_offline.py "$cache/get_pip_${pip_version//./_}.py"

dest=${ANSIBLE_TEST_DIR:-$root/.build/ansible-test-$command}/ansible_collections/hostnet/containers
mkdir -p "$dest"
rsync -a --delete --exclude .venv --exclude .venv-deb --exclude .build --exclude .git --exclude tests/output \
  --exclude __pycache__ --exclude .pytest_cache "$root/" "$dest/"
cd "$dest"
# A git repository lets ansible-test list exactly the files that are part of the collection.
rm -rf .git
git init -q . && git add -A . >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
case $command in
  sanity) ansible-test sanity --python 3.11 --color no "$@" 2>&1 | tee "$log" || rc=$? ;;
  # --local: in .venv, which make setup gives ansible-test's unit test requirements (test-requirements.txt) and the
  # modules' libraries (requirements.txt, the newest pyroute2 and netaddr); a fresh --venv installed them from PyPI on
  # every run (about 25 CPU-s, and a network fetch in the middle of make test). Debian's pyroute2 0.7.2 is covered by
  # the units-deb stage.
  units) ansible-test units --python 3.11 --local --color no "$@" 2>&1 | tee "$log" || rc=$? ;;
esac
if grep -E 'Required program .* not found|Skipping sanity test|Skipping tests disabled' "$log" >/dev/null; then
  echo "ansible_test: FAILED, tests were skipped:" >&2
  grep -E 'Required program .* not found|Skipping sanity test|Skipping tests disabled' "$log" | sort -u >&2
  rc=1
fi
exit $rc
