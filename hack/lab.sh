#!/usr/bin/env bash
# make lab: the seed's two-host macvlan lab on emulated hosts; the lab is torn down even when a step fails.
# hack/lab.sh bridge runs the seeds' single-host bridge experiments (playbooks/bridge_lab.yml) instead, hack/lab.sh overlay
# the three-host overlay lab (playbooks/overlay_lab.yml), hack/lab.sh macvlan-v6 the dual-stack macvlan lab
# (playbooks/macvlan_lab_v6.yml), hack/lab.sh macvlan-dhcp the macvlan lab whose containers lease their addresses from a
# dnsmasq on a LAN host (playbooks/macvlan_lab_dhcp.yml).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
case ${1:-macvlan} in
  macvlan) lab_dir=${HOSTNET_LAB_DIR:-/tmp/hostnet-lab/macvlan}
           ansible-playbook playbooks/macvlan_lab.yml -e "macvlan_lab_dir=$lab_dir" ;;
  macvlan-v6) lab_dir=${HOSTNET_LAB_DIR:-/tmp/hostnet-lab/macvlan-v6}
              ansible-playbook playbooks/macvlan_lab_v6.yml -e "macvlan_lab_dir=$lab_dir" ;;
  macvlan-dhcp) lab_dir=${HOSTNET_LAB_DIR:-/tmp/hostnet-lab/macvlan-dhcp}
                ansible-playbook playbooks/macvlan_lab_dhcp.yml -e "macvlan_lab_dir=$lab_dir" ;;
  bridge) lab_dir=${HOSTNET_LAB_DIR:-/tmp/hostnet-lab/bridge}
          ansible-playbook playbooks/bridge_lab.yml -e "bridge_lab_dir=$lab_dir" ;;
  overlay) lab_dir=${HOSTNET_LAB_DIR:-/tmp/hostnet-lab/overlay}
           ansible-playbook playbooks/overlay_lab.yml -e "overlay_lab_dir=$lab_dir" ;;
  *) echo "usage: hack/lab.sh [macvlan|macvlan-v6|macvlan-dhcp|bridge|overlay]" >&2; exit 2 ;;
esac
rc=$?
# The playbook tears down in an always: section; this catches a run that was interrupted before it.
ansible-playbook playbooks/teardown.yml -e "lab_dir=$lab_dir" >/dev/null || rc=1
if [ $rc -eq 0 ]; then echo "lab: ok"; else echo "lab: FAILED"; fi
exit $rc
