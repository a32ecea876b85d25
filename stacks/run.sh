#!/usr/bin/env bash
# The main job: runs the Pulumi CLI on a stack with the embedded defaults.
#   npm run up | preview | down [-- <pulumi arguments>]      (stack: dev, or PINGPONG_STACK)
# With no backend configured, state goes to .pulumi/ inside the project; the dev stack gets a
# dev-only passphrase when none is set; the dev stack's kind cluster and registry are created when
# missing. Nothing is created before every prerequisite is found.
# PINGPONG_STACK must name a stack that has a Pulumi.<stack>.yaml or that the backend already has:
# a mistyped name is refused rather than created empty. PINGPONG_CREATE_STACK=1 creates a new one.
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-}
case "$action" in
  up | preview | down) shift ;;
  *)
    echo "usage: stacks/run.sh up|preview|down [pulumi arguments...]" >&2
    exit 2
    ;;
esac
stack=${PINGPONG_STACK:-dev}

# shellcheck source=SCRIPTDIR/kind/prerequisites.sh
source stacks/kind/prerequisites.sh
problems=()

check_pulumi() {
  local install="https://www.pulumi.com/docs/install/" out
  if ! command -v pulumi >/dev/null 2>&1; then
    problems+=("pulumi: install Pulumi CLI 3.x: $install")
    return
  fi
  out=$(PULUMI_SKIP_UPDATE_CHECK=true pulumi version 2>/dev/null) || true
  if [[ $out =~ v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
    [ "${BASH_REMATCH[1]}" = 3 ] ||
      problems+=("pulumi: Pulumi CLI ${BASH_REMATCH[0]#v} found, 3.x needed: $install")
  else
    problems+=("pulumi: could not read a version from 'pulumi version' ($(first_line "$out")); Pulumi CLI 3.x is needed: $install")
  fi
}

# The backend state goes to: the caller's (PULUMI_BACKEND_URL, or pulumi login), else .pulumi/ here.
local_backend() {
  [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1
}
local_backend_url="file://$PWD/.pulumi?metadata=skip"

# A stack without a stack file is most often a typo of one that has one: refused unless the backend
# already has it or PINGPONG_CREATE_STACK=1 asks for a new one. Only asks (pulumi stack ls).
check_stack() {
  local file=Pulumi.$stack.yaml out="" line f known=""
  if [ -f "$file" ] || [ "${PINGPONG_CREATE_STACK:-}" = 1 ] || ! command -v pulumi >/dev/null 2>&1; then
    return 0
  fi
  if ! local_backend; then
    out=$(pulumi stack ls --json 2>/dev/null) || true
  elif [ -d .pulumi ]; then
    out=$(PULUMI_BACKEND_URL=$local_backend_url pulumi stack ls --json 2>/dev/null) || true
  fi
  while IFS= read -r line; do
    if [[ $line =~ \"name\":[[:space:]]*\"([^\"]+)\" ]]; then
      case "${BASH_REMATCH[1]}" in "$stack" | */"$stack") return 0 ;; esac
    fi
  done <<<"$out"
  for f in Pulumi.*.yaml; do
    [ -f "$f" ] || continue
    f=${f#Pulumi.}
    known="${known:+$known, }${f%.yaml}"
  done
  problems+=("stack: PINGPONG_STACK=$stack has no $file and is not a stack of the backend; known stacks: ${known:-none} (PINGPONG_CREATE_STACK=1 creates $stack)")
}

# A stack file that sets the kube context to an empty string would deploy to whatever context is
# current on this machine (the settings refuse it too, but only once Pulumi runs the program).
check_empty_kube_context() {
  local file=Pulumi.$stack.yaml line
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line =~ ^[[:space:]]+pingpong:kubeContext:[[:space:]]*(\"\"|\'\')?[[:space:]]*(#.*)?$ ]]; then
      problems+=("kube context: $file sets pingpong:kubeContext to an empty string, which would deploy to whatever context is current; name the $stack cluster's context (kubectl config get-contexts -o name)")
      return
    fi
  done <"$file"
}

# Another stack deploys to the kube context its stack file names. Asked only when the file names it
# plainly and brings no kubeconfig or environment of its own (the context would live there), and
# when kubectl is there to ask: the Kubernetes provider itself does not need kubectl.
check_kube_context() {
  local file=Pulumi.$stack.yaml line context=""
  [ -f "$file" ] && command -v kubectl >/dev/null 2>&1 || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      environment:* | *pingpong:kubeconfig:*) return 0 ;;
    esac
    if [[ $line =~ ^[[:space:]]+pingpong:kubeContext:[[:space:]]*[\"\']?([^\"\'[:space:]]+) ]]; then
      context=${BASH_REMATCH[1]}
    fi
  done <"$file"
  [ -n "$context" ] || return 0
  local known
  known=$'\n'$(kubectl config get-contexts -o name 2>/dev/null || true)$'\n'
  if [[ $known != *$'\n'"$context"$'\n'* ]]; then
    problems+=("kube context: $file deploys to context $context, which your kubeconfig does not have (kubectl config get-contexts -o name); add it, or point KUBECONFIG at a kubeconfig that has it")
  fi
}

# Every prerequisite is checked before anything is created, and all problems are reported at once.
check_pulumi
check_stack
check_empty_kube_context
if [ "$stack" = dev ]; then
  check_docker
  check_kind
  check_kubectl
else
  # Other stacks build the image only on up (docker); their cluster is reached through kubeconfig.
  if [ "$action" = up ]; then check_docker; fi
  check_kube_context
fi
if [ "${#problems[@]}" -gt 0 ]; then
  report_problems "npm run $action (stack $stack) cannot start; nothing was created. Fix these first:"
  exit 3
fi

if local_backend; then
  mkdir -p .pulumi
  # metadata=skip: no .attrs sidecar per state file. The file store writes those in place, so an
  # update killed at the wrong moment left an empty one and the stack no longer loaded ("failed to
  # load checkpoint: EOF"); the state files themselves are written whole and renamed.
  export PULUMI_BACKEND_URL=$local_backend_url
  echo "No Pulumi backend configured: keeping state in $PWD/.pulumi (run 'pulumi login' to use another)."
fi
if [ "$stack" = dev ] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  # Only the dev stack, whose secrets are throwaway; other stacks must bring their own.
  export PULUMI_CONFIG_PASSPHRASE="pingpong-dev-only"
  echo "Using the dev-only passphrase for stack dev (set PULUMI_CONFIG_PASSPHRASE to choose your own)."
fi

if [ "$stack" = dev ] && [ "$action" = up ]; then
  bash stacks/kind/up.sh
fi

# The production bar (policy/): mandatory or advisory per environment; unknown stacks get prod's.
policy_config=policy/config/$stack.json
[ -f "$policy_config" ] || policy_config=policy/config/prod.json
policy=(--policy-pack policy --policy-pack-config "$policy_config")

pulumi stack select --create "$stack" >/dev/null
# Refreshed first: a hand edit of what the stack declares shows as drift, and up takes it back.
case "$action" in
  up) exec pulumi up --refresh --stack "$stack" "${policy[@]}" "$@" ;;
  preview) exec pulumi preview --diff --refresh --stack "$stack" "${policy[@]}" "$@" ;;
  down) exec pulumi destroy --stack "$stack" "$@" ;;
esac
