#!/usr/bin/env bash
# make test: every stage runs even when an earlier one fails; the summary says which failed.
# Usage: hack/test.sh [--busy N] [stage...]   stages: units sanity lint integration integration-deb integrations molecule release
# (--busy N: N CPU-bound processes run beside the stages, as on a shared machine; make test-busy. They are started
# here and killed by their PIDs when the script ends, fails or is interrupted.)
# (integrations runs the integration tests under .venv, split in two, and under .venv-deb, side by side; release
# builds the tarball, installs it into a fresh collections path and runs the labs and the SSH smoke test from
# there, see hack/release.sh)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
busy_pids=()
stop_busy() {
  local pid
  for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${busy_pids[@]}"; do wait "$pid" 2>/dev/null; done
  busy_pids=()
}
if [ "${1:-}" = --busy ]; then
  busy=${2:?--busy needs a number}; shift 2
  trap stop_busy EXIT
  trap 'stop_busy; exit 130' INT TERM
  for _ in $(seq "$busy"); do
    # A subshell spinning on its own: $! is the busy process itself (a python3 behind a pyenv-style shim may be the
    # shim's child, which killing $! would leave running).
    ( while :; do :; done ) &
    busy_pids+=($!)
  done
  echo "=== $busy CPU-bound processes beside the stages: ${busy_pids[*]} ($(nproc) CPUs)"
fi
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(units sanity lint integrations molecule release)
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

# Stages at once (the integration suites spend most of their time waiting on packets and ansible-playbook):
# each one's output is buffered and printed whole when all are done.
run_parallel() {  # name1 "cmd1 ..." name2 "cmd2 ..." ...
  local dir; dir=$(mktemp -d)
  local names=() cmds=() pids=() i
  while [ $# -gt 0 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  for i in "${!names[@]}"; do
    ( start=$SECONDS; bash -c "${cmds[$i]}" >"$dir/$i.log" 2>&1; rc=$?; echo "$rc $((SECONDS - start))" >"$dir/$i.rc" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for i in "${!names[@]}"; do
    local rc secs
    read -r rc secs <"$dir/$i.rc"
    echo "=== ${names[$i]} (in parallel with the other integration stages)"
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

# The fragments lint, and CHANGELOG.rst is what antsibull-changelog generates from changelogs/changelog.yaml.
changelog_lint() {
  antsibull-changelog lint || return 1
  antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml || return 1
  local tmp; tmp=$(mktemp -d)
  cp -r changelogs galaxy.yml CHANGELOG.rst "$tmp/"
  (cd "$tmp" && antsibull-changelog generate --is-collection >/dev/null) || { rm -rf "$tmp"; return 1; }
  if ! diff -u CHANGELOG.rst "$tmp/CHANGELOG.rst"; then
    echo "changelog-lint: CHANGELOG.rst is not what antsibull-changelog generate writes from changelogs/changelog.yaml"
    rm -rf "$tmp"; return 1
  fi
  rm -rf "$tmp"
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
    units) run_stage units bash hack/ansible_test.sh units
           run_stage units-deb pytest_in .venv-deb tests/unit ;;
    sanity) run_stage sanity bash hack/ansible_test.sh sanity ;;
    lint) run_stage ansible-lint ansible-lint --offline
          run_stage yamllint yamllint --strict .
          run_stage docs-lint antsibull-docs lint-collection-docs --plugin-docs .build/collections/ansible_collections/hostnet/containers
          run_stage changelog-lint changelog_lint ;;
    integration) HOSTNET_FAULTS=all run_stage integration pytest_in .venv tests/integration ;;
    integration-deb) run_stage integration-deb pytest_in .venv-deb tests/integration -m "not once" ;;
    # The tests marked once (see tests/integration/conftest.py) run beside the rest, under the newest pyroute2;
    # there the fault tests kill and fail the module at every step (under Debian's pyroute2, at a sample).
    integrations) export -f pytest_in
                  run_parallel integration "HOSTNET_FAULTS=all pytest_in .venv tests/integration -m 'not once'" \
                               integration-once "pytest_in .venv tests/integration -m once" \
                               integration-deb "pytest_in .venv-deb tests/integration -m 'not once'" ;;
    molecule) run_stage molecule molecule test --all ;;
    release) release_dir=$(mktemp -d /tmp/hostnet-release.XXXXXX)
             run_stage release-build bash hack/release.sh build "$release_dir"
             run_stage lab bash hack/release.sh lab "$release_dir"
             run_stage bridge-lab bash hack/release.sh bridge-lab "$release_dir"
             run_stage ssh-smoke bash hack/release.sh ssh "$release_dir"
             rm -rf "$release_dir" ;;
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
echo "make test: $passed passed, $failed failed in $((SECONDS - started)) s${busy_pids[*]:+ (wall time, with ${#busy_pids[@]} CPU-bound processes beside it)}"
[ $failed -eq 0 ]
