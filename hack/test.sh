#!/usr/bin/env bash
# make test: every stage runs even when an earlier one fails; the summary says which failed.
# Usage: hack/test.sh [stage...]   stages: units sanity lint integration integration-deb molecule lab
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(units sanity lint integration integration-deb molecule lab)
passed=0; failed=0; failures=(); timings=()
started=$SECONDS

run_stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
  timings+=("$name=$((SECONDS - start))s")
}

pytest_in() {  # venv, then pytest arguments
  local venv=$1; shift
  "$venv/bin/python" -m pytest -p no:cacheprovider -q "$@"
}

# The machine's own network namespace, read only (counters and lifetimes left out), to prove no stage changed it.
host_netns() {
  {
    ip -o link | sed -E 's/^[0-9]+: //'
    ip -o addr | sed -E 's/ (valid_lft|preferred_lft) [^ ]+//g'
    ip route show table all | sed -E 's/ expires [^ ]+//'
    ip -6 route show table all | sed -E 's/ expires [^ ]+//'
    ip rule; ip -6 rule
    ls -A /run/netns 2>/dev/null
  } | sort
}
before=$(host_netns)

for stage in "${stages[@]}"; do
  case $stage in
    units) run_stage units pytest_in .venv tests/unit
           run_stage units-deb pytest_in .venv-deb tests/unit ;;
    sanity) run_stage sanity bash hack/sanity.sh ;;
    lint) run_stage ansible-lint ansible-lint --offline
          run_stage yamllint yamllint --strict .
          run_stage docs-lint antsibull-docs lint-collection-docs --plugin-docs .build/collections/ansible_collections/hostnet/containers ;;
    integration) run_stage integration pytest_in .venv tests/integration ;;
    integration-deb) run_stage integration-deb pytest_in .venv-deb tests/integration ;;
    molecule) run_stage molecule molecule test --all ;;
    lab) run_stage lab env HOSTNET_LAB_DIR=/tmp/hostnet-lab/make-test-lab bash hack/lab.sh macvlan
         run_stage bridge-lab env HOSTNET_LAB_DIR=/tmp/hostnet-lab/make-test-bridge-lab bash hack/lab.sh bridge ;;
    *) echo "unknown stage $stage"; failed=$((failed + 1)); failures+=("$stage") ;;
  esac
done

after=$(host_netns)
if [ "$before" != "$after" ]; then
  echo "=== host-netns: FAILED, the machine's own network namespace changed:"
  diff <(echo "$before") <(echo "$after")
  failed=$((failed + 1)); failures+=(host-netns)
fi

echo
echo "timings: ${timings[*]}"
[ $failed -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "make test: $passed passed, $failed failed in $((SECONDS - started)) s"
[ $failed -eq 0 ]
