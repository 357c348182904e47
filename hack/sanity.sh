#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection placed under ansible_collections/hostnet/containers,
# with no ignore file. ansible-test's pip bootstrap is satisfied offline by hack/get_pip_offline.py.
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

dest=$root/.build/sanity/ansible_collections/hostnet/containers
mkdir -p "$dest"
rsync -a --delete --exclude .venv --exclude .venv-deb --exclude .build --exclude .git --exclude tests/output \
  --exclude __pycache__ --exclude .pytest_cache "$root/" "$dest/"
if ls "$dest"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
  echo "sanity: ignore files are not allowed: $(ls "$dest"/tests/sanity/ignore-*.txt)" >&2
  exit 1
fi
cd "$dest"
# A git repository lets ansible-test list exactly the files that are part of the collection.
git init -q . && git add -A . >/dev/null
PATH="$venv/bin:$PATH" ansible-test sanity --python 3.11 --color no "$@"
