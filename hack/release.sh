#!/usr/bin/env bash
# The release as users get it: build the tarball, install it into a fresh collections path, and run the labs and
# the SSH smoke test from that installed copy, never from this checkout.
# Usage: hack/release.sh build|lab|lab-v6|bridge-lab|overlay-lab|ssh DIR   (DIR: an empty scratch folder outside the checkout;
#        `build` fills DIR/dist and DIR/collections, the other steps use DIR/collections)
#        hack/release.sh all          (every step in a temporary folder, removed afterwards)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
export PATH="$root/.venv/bin:$PATH"
step=${1:?usage: hack/release.sh build|lab|lab-v6|bridge-lab|overlay-lab|ssh DIR | all}

if [ "$step" = all ]; then
  dir=$(mktemp -d /tmp/hostnet-release.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  rc=0
  for s in build lab lab-v6 bridge-lab overlay-lab ssh; do
    echo "=== release $s"
    bash "$root/hack/release.sh" "$s" "$dir" || { rc=1; [ "$s" = build ] && break; }
  done
  exit $rc
fi

dir=$(realpath "${2:?usage: hack/release.sh $step DIR}")
case $dir/ in "$root"/*) echo "release: $dir is inside the checkout; use a folder outside it" >&2; exit 2 ;; esac
collections=$dir/collections
installed=$collections/ansible_collections/hostnet/containers
# Only the installed copy is visible: no other collections path, nothing from Python's sys.path, and the
# commands run from DIR, so neither the checkout nor an ansible.cfg in it can be picked up.
export ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false

case $step in
  build)
    rm -rf "$dir/dist" "$collections" "$dir/ee"
    mkdir -p "$dir/dist" "$dir/ee"
    ansible-galaxy collection build --output-path "$dir/dist" "$root" || exit 1
    tarball=$(ls "$dir"/dist/hostnet-containers-*.tar.gz)
    python "$root/hack/check_release.py" tarball "$tarball" "$root" || exit 1
    (cd "$dir" && ansible-galaxy collection install "$tarball" -p "$collections") || exit 1
    found=$(cd "$dir" && ansible-galaxy collection list hostnet.containers --format json) || exit 1
    python - "$found" "$collections" <<'PYEOF' || exit 1
import json, sys
found, path = json.loads(sys.argv[1]), sys.argv[2] + '/ansible_collections'
if list(found) != [path] or list(found[path]) != ['hostnet.containers']:
    sys.exit('release: ansible-galaxy finds hostnet.containers in %s, not only in %s' % (sorted(found), path))
print('release: hostnet.containers %s installed in %s and nowhere else' % (found[path]['hostnet.containers']['version'], path))
PYEOF
    (cd "$dir" && "$root/.venv/bin/python" "$root/hack/check_docs.py" "$collections") || exit 1
    "$root/.venv/bin/python" "$root/hack/check_release.py" ee "$collections" "$tarball" "$dir/ee" || exit 1 ;;
  lab|lab-v6|bridge-lab|overlay-lab)
    [ -d "$installed" ] || { echo "release: nothing installed in $collections (run the build step)" >&2; exit 1; }
    cd "$dir" || exit 1
    if [ "$step" = lab ]; then
      lab_dir=$dir/lab-macvlan
      ansible-playbook hostnet.containers.macvlan_lab -e "macvlan_lab_dir=$lab_dir"
    elif [ "$step" = lab-v6 ]; then
      lab_dir=$dir/lab-macvlan-v6
      ansible-playbook hostnet.containers.macvlan_lab_v6 -e "macvlan_lab_dir=$lab_dir"
    elif [ "$step" = overlay-lab ]; then
      lab_dir=$dir/lab-overlay
      ansible-playbook hostnet.containers.overlay_lab -e "overlay_lab_dir=$lab_dir"
    else
      lab_dir=$dir/lab-bridge
      ansible-playbook hostnet.containers.bridge_lab -e "bridge_lab_dir=$lab_dir"
    fi
    rc=$?
    # The playbook tears down in an always: section; this catches a run that was interrupted before it.
    ansible-playbook hostnet.containers.teardown -e "lab_dir=$lab_dir" >/dev/null || rc=1
    exit $rc ;;
  ssh)
    [ -d "$installed" ] || { echo "release: nothing installed in $collections (run the build step)" >&2; exit 1; }
    cd "$dir" && "$root/.venv/bin/python" "$root/hack/ssh_smoke.py" "$collections" ;;
  *) echo "release: unknown step $step" >&2; exit 2 ;;
esac
