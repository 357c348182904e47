#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection placed under ansible_collections/hostnet/containers,
# with no ignore file, offline.
#
# Offline: each sanity test that needs its own tools (import, pep8, pylint, validate-modules, yamllint...)
# runs in a virtual environment ansible-test creates. It puts pip into each one by running a bootstrap
# script it downloads once from ci-files.testing.ansible.com (unreachable here) and caches as
# ~/.ansible/test/cache/get_pip_<pip version>.py. Placing hack/get_pip_offline.py there first makes
# ansible-test use it: pip comes from Python's own ensurepip wheel, the pinned test requirements from PyPI.
#
# Nothing may be skipped quietly: a missing program (shellcheck) or a skipped test fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${VENV:-$root/.venv}
at="$venv/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py"
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',/\1/p" "$at" | head -1)
[ -n "$pip_version" ] || { echo "sanity: cannot find ansible-test's pip version in $at" >&2; exit 1; }
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp hack/get_pip_offline.py "$cache/get_pip_${pip_version//./_}.py"

dest=${SANITY_DIR:-$root/.build/sanity}/ansible_collections/hostnet/containers
mkdir -p "$dest"
rsync -a --delete --exclude .venv --exclude .venv-deb --exclude .build --exclude .git --exclude tests/output \
  --exclude __pycache__ --exclude .pytest_cache "$root/" "$dest/"
if ls "$dest"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
  echo "sanity: ignore files are not allowed: $(ls "$dest"/tests/sanity/ignore-*.txt)" >&2
  exit 1
fi
cd "$dest"
# A git repository lets ansible-test list exactly the files that are part of the collection.
rm -rf .git
git init -q . && git add -A . >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
PATH="$venv/bin:$PATH" ansible-test sanity --python 3.11 --color no "$@" 2>&1 | tee "$log" || rc=$?
if grep -E 'Required program .* not found|Skipping sanity test|Skipping tests disabled' "$log" >/dev/null; then
  echo "sanity: FAILED, tests were skipped:" >&2
  grep -E 'Required program .* not found|Skipping sanity test|Skipping tests disabled' "$log" | sort -u >&2
  rc=1
fi
exit $rc
