#!/usr/bin/env bash
# npm run test:cluster: the real control plane tier.
#
# Builds the pinned tools (test/cluster/tools/build.sh; seconds when cached), then runs the tier's
# jest suite inside a network namespace of its own that has only loopback, and a PID namespace, so
# that nothing the API server or istiod dials can leave it and every process the tier started ends
# with it, on success, failure or Ctrl-C. Extra arguments go to jest.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(uname -s)" != Linux ]; then
  echo "test:cluster: needs Linux (network and PID namespaces); this is $(uname -s)" >&2
  exit 2
fi
if ! command -v go >/dev/null 2>&1; then
  echo "test:cluster: needs Go 1.26 or newer to build the control plane (https://go.dev/dl); none on PATH" >&2
  exit 2
fi
for tool in unshare ip openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test:cluster: needs $tool (from util-linux, iproute2 and openssl)" >&2
    exit 2
  fi
done

bash test/cluster/tools/build.sh

# Runs of the tier keep their state under one folder; a run killed before its own clean-up leaves
# a folder whose process is gone, which the next run removes.
runs="${TMPDIR:-/tmp}/pingpong-cluster-runs"
mkdir -p "$runs"
for stale in "$runs"/*; do
  [ -e "$stale" ] || continue
  pid="${stale##*.}"
  if ! kill -0 "$pid" 2>/dev/null; then rm -rf "$stale"; fi
done
run_dir="$(mktemp -d "$runs/run.XXXXXX")"
mv "$run_dir" "$run_dir.$$"
run_dir="$run_dir.$$"
trap 'rm -rf "$run_dir"' EXIT
export PINGPONG_CLUSTER_RUN_DIR="$run_dir"

ns_flags=(--net --pid --fork --mount-proc)
# Without root, a user namespace gives the tier the right to make its own network namespace.
if [ "$(id -u)" -ne 0 ]; then ns_flags=(--user --map-root-user "${ns_flags[@]}"); fi
if ! unshare "${ns_flags[@]}" true 2>/dev/null; then
  echo "test:cluster: cannot create network and PID namespaces (unshare ${ns_flags[*]}); user namespaces may be disabled" >&2
  exit 2
fi

set +e
unshare "${ns_flags[@]}" bash -c 'ip link set lo up && exec npx jest -c test/cluster/jest.config.js "$@"' tier "$@"
status=$?
set -e
exit "$status"
