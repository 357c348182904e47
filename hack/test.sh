#!/usr/bin/env bash
# make test: every stage runs even when an earlier one fails; the summary says which failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(units sanity lint integration integration-deb molecule)
passed=0; failed=0; failures=()

run_stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

pytest_in() {  # venv, then pytest arguments
  local venv=$1; shift
  "$venv/bin/python" -m pytest -p no:cacheprovider -q "$@"
}

for stage in "${stages[@]}"; do
  case $stage in
    units) run_stage units pytest_in .venv tests/unit
           run_stage units-deb pytest_in .venv-deb tests/unit ;;
    sanity) run_stage sanity bash hack/sanity.sh ;;
    lint) run_stage ansible-lint ansible-lint --offline
          run_stage yamllint yamllint --strict . ;;
    integration) run_stage integration pytest_in .venv tests/integration ;;
    integration-deb) run_stage integration-deb pytest_in .venv-deb tests/integration ;;
    molecule) run_stage molecule molecule test --all ;;
    *) echo "unknown stage $stage"; failed=$((failed + 1)); failures+=("$stage") ;;
  esac
done

echo
[ $failed -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
