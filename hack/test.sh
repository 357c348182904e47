#!/usr/bin/env bash
# make test: every stage runs even when an earlier one fails; the summary says which failed.
# Usage: hack/test.sh [--busy N] [group...]
#   groups: units sanity lint integration integration-deb integrations molecule release (default: all of them)
# (--busy N: N CPU-bound processes run beside the stages, as on a shared machine; make test-busy. They are started
# here and killed by their PIDs when the script ends, fails or is interrupted.)
# With no group, every stage runs in five lanes side by side (see LANES below); a group named on the command line
# runs its stages one after another, except integrations (the four integration stages side by side). release builds the
# tarball, installs it into a fresh collections path and runs the labs and the SSH smoke test from there (see
# hack/release.sh).
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
groups=("$@")
passed=0; failed=0; failures=(); timings=()
started=$SECONDS

pytest_in() {  # venv, then pytest arguments
  local venv=$1; shift
  # The slowest tests are named in the output: what to look at when a stage grows.
  "$venv/bin/python" -m pytest -p no:cacheprovider -q --durations=8 "$@"
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

release_dir=
# The once tests that run the roles through ansible-playbook (the slowest ones) have two stages of their own, of
# about equal length, so that the tests marked once are spread over three lanes.
ROLE_TESTS_1=(tests/integration/test_bridge_network_role.py tests/integration/test_restore.py
              tests/integration/test_host_requirements.py tests/integration/test_workloads.py
              tests/integration/test_ipv6_bridge_role.py tests/integration/test_role_bench_smoke.py)
ROLE_TESTS_2=(tests/integration/test_macvlan_network_role.py tests/integration/test_macvlan_v6_role.py tests/integration/test_orphans_gc.py
              tests/integration/test_overlay_network_role.py tests/integration/test_ipv6_overlay_role.py
              tests/integration/test_macvlan_dhcp_role.py)
# The examples of the docs, the exposure tests and the roles' bad input (a third role stage of about the same length).
ROLE_TESTS_3=(tests/integration/test_docs_examples.py tests/integration/test_exposure.py tests/integration/test_reliability_roles.py)
# Half of the other tests marked once (the firewall, exposure, routing and issue 27's options), a stage of its own
# beside integration-once, so that the two lanes end with the others.
ONCE_TESTS_2=(tests/integration/test_firewall.py tests/integration/test_ipv6_firewall.py tests/integration/test_default_route.py
              tests/integration/test_container.py tests/integration/test_macvlan_edges.py tests/integration/test_publish_sources.py
              tests/integration/test_outbound_address.py tests/integration/test_routes.py tests/integration/test_host_gateway.py
              tests/integration/test_host_ifname.py tests/integration/test_unmanaged_bridge.py tests/integration/test_mtu_sysctl.py)
# The benchmark harnesses at their smallest (their own stage, in a lane of its own length).
BENCH_TESTS=(tests/integration/test_bench_smoke.py tests/integration/test_ipv6_bench_smoke.py
             tests/integration/test_overlay_bench_smoke.py tests/integration/test_scale_bench_smoke.py
             tests/integration/test_firewall_bench_smoke.py)
# Under Debian's pyroute2 0.7.x: what differs by version. Every request the engine has pyroute2 encode is pinned to
# the same bytes under both versions by the unit tests (test_kernel_encoding.py runs in units and units-deb), so the
# kernel sees the same requests; what is left is pyroute2's own API where the engine uses it (conntrack's netlink,
# the DHCP hook's IPRoute) and one module's tests end to end with 0.7.x imported on the managed host.
DEB_TESTS=(tests/integration/test_docker_bridge.py tests/integration/test_conntrack.py tests/integration/test_ipv6_conntrack.py
           tests/integration/test_dhcp.py)
# The fault matrices (a run killed or failed at each step) are stages of their own, placed in the shorter lanes.
FAULTS=tests/integration/test_reliability_faults.py
ROLE_IGNORES=()
for f in "${ROLE_TESTS_1[@]}" "${ROLE_TESTS_2[@]}" "${ROLE_TESTS_3[@]}" "${BENCH_TESTS[@]}" "${ONCE_TESTS_2[@]}"; do ROLE_IGNORES+=("--ignore=$f"); done
# One stage, by name. The tests marked once (see tests/integration/conftest.py) run beside the rest under the newest
# pyroute2; there the fault tests kill and fail the module at every step.  They run under the newest pyroute2 only:
# what they prove (a killed or failed run converges or rolls back) is the engine's control flow, and every request
# a rollback sends is sent under both versions by the module and teardown tests.
stage() {
  case $1 in
    # Every unit test under the newest pyroute2 with pytest, and the modules' ones through ansible-test as well (the
    # way Galaxy tooling runs a collection's unit tests, on its copy of the collection): ansible-test runs each test in a
    # forked process of its own, six times the CPU of the same 1,600 tests in one pytest (58 CPU-s against 8, measured),
    # and make test is bound by CPU on a 2-core machine.
    units) pytest_in .venv tests/unit && bash hack/ansible_test.sh units tests/unit/plugins/modules/ ;;
    units-deb) pytest_in .venv-deb tests/unit ;;
    sanity) bash hack/ansible_test.sh sanity ;;
    ansible-lint) ansible-lint --offline ;;
    yamllint) yamllint --strict . ;;
    docs-lint) antsibull-docs lint-collection-docs --plugin-docs .build/collections/ansible_collections/hostnet/containers ;;
    changelog-lint) changelog_lint ;;
    integration) HOSTNET_FAULTS=all pytest_in .venv tests/integration -m 'not once' --ignore="$FAULTS" ;;
    integration-faults) HOSTNET_FAULTS=all pytest_in .venv "$FAULTS" -m 'not once' ;;
    integration-once) pytest_in .venv tests/integration -m once "${ROLE_IGNORES[@]}" ;;
    integration-roles-1) pytest_in .venv -m once "${ROLE_TESTS_1[@]}" ;;
    integration-roles-2) pytest_in .venv -m once "${ROLE_TESTS_2[@]}" ;;
    integration-roles-3) pytest_in .venv -m once "${ROLE_TESTS_3[@]}" ;;
    integration-bench) pytest_in .venv -m once "${BENCH_TESTS[@]}" ;;
    integration-once-2) pytest_in .venv -m once "${ONCE_TESTS_2[@]}" ;;
    integration-deb) pytest_in .venv-deb -m 'not once' "${DEB_TESTS[@]}" ;;
    molecule) ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections molecule test --all ;;
    release-build) bash hack/release.sh build "$release_dir" ;;
    lab) bash hack/release.sh lab "$release_dir" ;;
    bridge-lab) bash hack/release.sh bridge-lab "$release_dir" ;;
    overlay-lab) bash hack/release.sh overlay-lab "$release_dir" ;;
    lab-v6) bash hack/release.sh lab-v6 "$release_dir" ;;
    ssh-smoke) bash hack/release.sh ssh "$release_dir" ;;
    *) echo "unknown stage $1"; return 2 ;;
  esac
}

tally() {  # name rc seconds
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1)); echo "=== $1: ok ($3 s)"
  else
    failed=$((failed + 1)); failures+=("$1"); echo "=== $1: FAILED ($3 s)"
  fi
  timings+=("$1=$3s")
}

run_stage() {
  local start=$SECONDS rc
  echo "=== $1"
  stage "$1"; rc=$?
  tally "$1" "$rc" $((SECONDS - start))
}

# CPU seconds (user + system) that the children of a shell used between two outputs of its `times` builtin: what
# a stage costs whatever the machine's load, which sets how the lanes are balanced and what to cut when make test grows.
cpu_between() {  # file file; the second line of each is the children's "1m2.500s 0m3.250s"
  awk 'FNR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } v[++n] = t }
       END { printf "%d\n", v[2] - v[1] }' "$1" "$2"
}

# Lanes side by side, the stages of each one after another: the integration stages spend much of their time
# waiting on packets and ansible-playbook, and on a shared machine more lanes get a larger share of its CPUs.
# Each stage's output is kept and printed whole when every lane is done; a line says when each stage ends.
run_lanes() {  # "stage stage ..." "stage ..." ...
  local dir; dir=$(mktemp -d)
  local lane name pids=() order=()
  for lane in "$@"; do
    for name in $lane; do order+=("$name"); done
    (
      for name in $lane; do
        start=$SECONDS
        times >"$dir/$name.t0"  # in this shell, not a $(...) subshell: its children are the ones counted
        stage "$name" >"$dir/$name.log" 2>&1; rc=$?
        times >"$dir/$name.t1"
        cpu=$(cpu_between "$dir/$name.t0" "$dir/$name.t1")
        echo "$rc $((SECONDS - start))" >"$dir/$name.rc"
        echo "=== $name: $([ "$rc" -eq 0 ] && echo ok || echo FAILED) ($((SECONDS - start)) s, CPU $cpu s; output below when every lane is done)"
      done
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for name in "${order[@]}"; do
    local rc secs
    read -r rc secs <"$dir/$name.rc"
    echo "=== $name (in a lane beside the others)"
    cat "$dir/$name.log"
    tally "$name" "$rc" "$secs"
  done
  rm -rf "$dir"
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
release_dir=$(mktemp -d /tmp/hostnet-release.XXXXXX)

# make test: eight lanes. Each integration job and each role stage (ansible-playbook, the slowest tests) starts a lane
# of its own; the shorter stages follow the shorter ones so that the lanes end together (balanced by the stages' wall
# times in a clean-clone run on a 2-core machine: each lane 11-14 minutes there, about 1,500 CPU-s in all, so the
# machine's CPUs, not the lanes, set the wall time). On a shared machine more lanes also get a larger share of its CPUs.
LANES=("integration release-build lab lab-v6 bridge-lab overlay-lab ssh-smoke" "integration-once" "integration-once-2"
       "integration-bench molecule"
       "units units-deb integration-deb sanity ansible-lint yamllint docs-lint changelog-lint integration-faults"
       "integration-roles-1" "integration-roles-2" "integration-roles-3")
if [ ${#groups[@]} -eq 0 ]; then
  run_lanes "${LANES[@]}"
fi
for group in "${groups[@]}"; do
  case $group in
    units) run_stage units; run_stage units-deb ;;
    sanity) run_stage sanity ;;
    lint) for s in ansible-lint yamllint docs-lint changelog-lint; do run_stage $s; done ;;
    integration) run_stage integration; run_stage integration-faults ;;
    integration-deb) run_stage integration-deb ;;
    molecule) run_stage molecule ;;
    integrations) run_lanes integration integration-once integration-once-2 "integration-deb integration-bench" integration-faults \
                            integration-roles-1 integration-roles-2 integration-roles-3 ;;
    release) for s in release-build lab lab-v6 bridge-lab overlay-lab ssh-smoke; do run_stage $s; done ;;
    *) echo "unknown stage $group"; failed=$((failed + 1)); failures+=("$group") ;;
  esac
done
rm -rf "$release_dir"

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
