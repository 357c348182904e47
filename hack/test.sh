#!/usr/bin/env bash
# make test: every stage runs even when an earlier one fails; the summary says which failed.
# Usage: hack/test.sh [stage...]   stages: units sanity lint integration integration-deb integrations molecule lab
# (integrations runs integration and integration-deb side by side)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(units sanity lint integrations molecule lab)
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

# Two stages at once (the integration suites spend most of their time waiting on packets and ansible-playbook):
# each one's output is buffered and printed whole when both are done.
run_pair() {  # name1 "cmd1 ..." name2 "cmd2 ..."
  local dir; dir=$(mktemp -d)
  local names=("$1" "$3") cmds=("$2" "$4") pids=() i
  for i in 0 1; do
    ( start=$SECONDS; bash -c "${cmds[$i]}" >"$dir/$i.log" 2>&1; rc=$?; echo "$rc $((SECONDS - start))" >"$dir/$i.rc" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for i in 0 1; do
    local rc secs
    read -r rc secs <"$dir/$i.rc"
    echo "=== ${names[$i]} (in parallel with ${names[$((1 - i))]})"
    cat "$dir/$i.log"
    if [ "$rc" -eq 0 ]; then
      passed=$((passed + 1)); echo "=== ${names[$i]}: ok ($secs s)"
    else
      failed=$((failed + 1)); failures+=("${names[$i]}"); echo "=== ${names[$i]}: FAILED ($secs s)"
    fi
    timings+=("${names[$i]}=${secs}s")
  done
  rm -rf "$dir"
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
    integrations) export -f pytest_in
                  run_pair integration "pytest_in .venv tests/integration" integration-deb "pytest_in .venv-deb tests/integration" ;;
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
