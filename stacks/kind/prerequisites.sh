# shellcheck shell=bash
# Sourced by stacks/run.sh and stacks/kind/up.sh: checks of what the dev cluster and the image build
# need on this machine. Each check only asks (docker info, kind version) and appends one line per
# problem to the caller's `problems` array, so a caller can report every problem at once before it
# creates anything. Plain bash 3.2 (macOS) and no tools beyond the ones checked.

cluster_config="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cluster.yaml"
kind_install="https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
docker_timeout_seconds=10

# True when dotted version $1 is at least $2 (numeric fields, missing fields count as 0).
version_at_least() {
  local have want i
  IFS=. read -r -a have <<<"$1"
  IFS=. read -r -a want <<<"$2"
  for i in 0 1 2; do
    if ((10#${have[i]:-0} != 10#${want[i]:-0})); then
      ((10#${have[i]:-0} > 10#${want[i]:-0}))
      return
    fi
  done
}

# The first line of $1 that says something (not blank, not a WARNING), or a placeholder.
first_line() {
  local line
  while IFS= read -r line; do
    if [[ $line =~ [^[:space:]] ]] && [[ $line != WARNING* ]]; then
      printf '%s' "$line"
      return
    fi
  done <<<"$1"
  printf 'no output'
}

# "<kind release> <node image tag>" from cluster.yaml: kind supports a node image with the release
# that built it, and cluster.yaml records that release next to the pin.
kind_pin() {
  local line release="" tag=""
  while IFS= read -r line || [ -n "$line" ]; do
    if [ -z "$release" ] && [[ $line =~ ^#\ kind-release:\ v([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
      release=${BASH_REMATCH[1]}
    elif [ -z "$tag" ] && [[ $line =~ kindest/node:(v[0-9]+\.[0-9]+\.[0-9]+)@sha256: ]]; then
      tag=${BASH_REMATCH[1]}
    fi
  done <"$cluster_config"
  [ -n "$release" ] && [ -n "$tag" ] && echo "$release $tag"
}

# Runs "$@" for at most $1 seconds where coreutils' timeout exists (macOS has none by default; there
# the command runs unbounded).
with_timeout() {
  local seconds=$1
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout "$seconds" "$@"
  else
    "$@"
  fi
}

# The client, a daemon that answers, and an engine that can build the app image: components/image.ts
# uses @pulumi/docker's docker.Image with builderVersion BuilderBuildKit, which sends the build to the
# engine's API with a BuildKit session (no docker CLI, no buildx plugin); that needs the engine's
# built-in BuildKit, Docker Engine 18.09 or later running Linux containers.
check_docker() {
  if ! command -v docker >/dev/null 2>&1; then
    problems+=("docker: install Docker (Engine 18.09+ with Linux containers): https://docs.docker.com/engine/install/")
    return
  fi
  local out rc=0 line version="" os=""
  out=$(with_timeout "$docker_timeout_seconds" docker info --format '{{.ServerVersion}} {{.OSType}}' 2>&1) || rc=$?
  if [ "$rc" -eq 124 ]; then
    problems+=("docker: Docker is installed but its daemon did not answer within ${docker_timeout_seconds}s (docker info); restart Docker")
    return
  fi
  if [ "$rc" -eq 0 ]; then
    # Warnings may come before the formatted line.
    while IFS= read -r line; do
      if [[ $line =~ ^([^[:space:]]+)\ (linux|windows)$ ]]; then
        version=${BASH_REMATCH[1]}
        os=${BASH_REMATCH[2]}
      fi
    done <<<"$out"
  fi
  if [ "$rc" -ne 0 ] || [ -z "$version" ]; then
    problems+=("docker: Docker is installed but its daemon is not running (docker info: $(first_line "$out")); start Docker")
    return
  fi
  # An engine built from source may report a name instead of a version: only the OS is checked then.
  if [ "$os" != linux ] || { [[ $version =~ ^[0-9] ]] && ! version_at_least "${version%%[^0-9.]*}" 18.09; }; then
    problems+=("docker: the engine (Docker $version, $os containers) cannot build the app image with BuildKit: use Docker Engine 18.09 or later with Linux containers")
  fi
}

# kind at least the release that built the pinned node image.
check_kind() {
  local pin required tag out found
  if ! pin=$(kind_pin); then
    problems+=("kind: $cluster_config must pin kindest/node:vX.Y.Z@sha256:... and name its kind release ('# kind-release: vX.Y.Z')")
    return
  fi
  required=${pin% *}
  tag=${pin#* }
  if ! command -v kind >/dev/null 2>&1; then
    problems+=("kind: install kind $required or later: $kind_install")
    return
  fi
  out=$(kind version 2>&1) || true
  if [[ $out =~ v([0-9]+\.[0-9]+\.[0-9]+) ]]; then
    found=${BASH_REMATCH[1]}
    if ! version_at_least "$found" "$required"; then
      problems+=("kind: kind $found is older than $required, the release that built the dev cluster's node image (kindest/node:$tag, Kubernetes ${tag#v}); upgrade kind to $required or later: $kind_install")
    fi
  else
    problems+=("kind: could not read a version from 'kind version' ($(first_line "$out")); kind $required or later is needed: $kind_install")
  fi
}

check_kubectl() {
  command -v kubectl >/dev/null 2>&1 ||
    problems+=("kubectl: install kubectl: https://kubernetes.io/docs/tasks/tools/")
}

# Prints the problems under a heading ($1) to stderr.
report_problems() {
  local problem
  echo "$1" >&2
  for problem in "${problems[@]}"; do echo "  - $problem" >&2; done
}
