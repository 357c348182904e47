# hostnet.containers: the two commands a newcomer needs are `make lab` and `make test`.
SHELL := /bin/bash
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false

.PHONY: setup lab lab-v6 lab-dhcp bridge-lab overlay-lab release test test-busy units sanity lint integration integration-deb molecule bench clean

setup:
	@bash hack/setup.sh

# The seed's two-host macvlan lab on emulated hosts, its connectivity matrix checked, then teardown.
lab: setup
	@bash hack/lab.sh macvlan

# Its dual-stack variant: the containers and the hosts' shims checked over IPv6 and IPv4.
lab-v6: setup
	@bash hack/lab.sh macvlan-v6

# Its DHCP variant: a dnsmasq on a LAN host of the switch leases the containers' addresses (ipam_driver: dhcp), then the
# matrix over the leases.
lab-dhcp: setup
	@bash hack/lab.sh macvlan-dhcp

# The seeds' bridge experiments (default bridge, custom_network, isolation, -p, MASQUERADE, modes).
bridge-lab: setup
	@bash hack/lab.sh bridge

# Two overlays (one internal) across three emulated hosts, the packet matrix between their containers checked.
overlay-lab: setup
	@bash hack/lab.sh overlay

# The release as users get it: the tarball built and checked, installed into a fresh collections path, its docs
# rendered and its execution environment metadata read by ansible-builder, then the labs and an SSH smoke test
# run from that installed copy (hack/release.sh).
release: setup
	@bash hack/release.sh all

# Every test: unit (ansible-test, and Debian's pyroute2), sanity, lint (ansible-lint, yamllint, collection docs,
# changelog), integration (pyroute2 newest and Debian's 0.7.2, as root), Molecule, release. Runs every stage,
# then a summary; fails if any stage failed.
test: setup
	@bash hack/test.sh

# make test on a busy machine: BUSY (default 2) CPU-bound processes run beside it, started and killed (by PID, also
# on failure or Ctrl-C) by hack/test.sh; the summary gives the wall time. On a 2-core machine it should stay under
# 15 minutes. STAGES="integrations" for only the integration stages.
BUSY ?= 2
test-busy: setup
	@bash hack/test.sh --busy $(BUSY) $(STAGES)

units: setup
	@bash hack/test.sh units
sanity: setup
	@bash hack/test.sh sanity
lint: setup
	@bash hack/test.sh lint
integration: setup
	@bash hack/test.sh integration
integration-deb: setup
	@bash hack/test.sh integration-deb
molecule: setup
	@bash hack/test.sh molecule

# docker_bridge at scale against CNI, netavark, ip -batch and a pure-pyroute2 floor, inside emulated hosts (docs/development.md,
# Benchmarks). Not part of make test; about 15 minutes. BENCH_ARGS="--sizes 10,100 --repeats 1" for a quick look.
# Then the bridge_network role as users run it, against a trivial play (benchmarks/role_bench.py, issue 25; about
# 3 minutes); BENCH_ROLE_ARGS="--sizes 100x2 --repeats 1" for a quick look. Then 4,000 containers on 8 networks against
# one network of 500 (benchmarks/scale_bench.py, issue 25; about 10 minutes); BENCH_SCALE_ARGS="--repeats 1".
bench: setup
	@bash benchmarks/setup.sh
	@python benchmarks/bench.py $(BENCH_ARGS)
	@python benchmarks/role_bench.py $(BENCH_ROLE_ARGS)
	@python benchmarks/scale_bench.py $(BENCH_SCALE_ARGS)
	@python benchmarks/firewall_bench.py $(BENCH_FIREWALL_ARGS)

# Only the scale benchmark (docs/development.md, The scale benchmark).
.PHONY: bench-scale
bench-scale: setup
	@python benchmarks/scale_bench.py $(BENCH_SCALE_ARGS)

# docker_bridge dual-stack against IPv4-only, interleaved in one run (docs/development.md, The dual-stack benchmark).
# Not part of make test; about 10 minutes. BENCH_IPV6_ARGS="--repeats 1 --tools engine" for a quick look.
.PHONY: bench-ipv6
bench-ipv6: setup
	@python benchmarks/ipv6_bench.py --repeats 5 --profile $(BENCH_IPV6_ARGS)

clean:
	rm -rf .build tests/output .pytest_cache
