#!/usr/bin/env bash
# The main job: runs the Pulumi CLI on a stack with the embedded defaults.
#   npm run up | preview | down [-- <pulumi arguments>]      (stack: dev, or PINGPONG_STACK)
# With no backend configured, state goes to .pulumi/ inside the project; the dev stack gets a
# dev-only passphrase when none is set; the dev stack's kind cluster and registry are created when
# missing. Nothing is created before every prerequisite is found.
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

declare -A install=(
  [pulumi]="Pulumi CLI 3.x: https://www.pulumi.com/docs/install/"
  [docker]="Docker with BuildKit: https://docs.docker.com/engine/install/"
  [kind]="kind 0.24 or later: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  [kubectl]="kubectl: https://kubernetes.io/docs/tasks/tools/"
)
needed=(pulumi)
if [ "$stack" = dev ]; then
  needed+=(docker kind kubectl)
elif [ "$action" = up ]; then
  needed+=(docker)
fi
missing=()
for tool in "${needed[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "npm run $action (stack $stack) needs tools that are not on PATH; nothing was created:" >&2
  for tool in "${missing[@]}"; do echo "  - $tool: install ${install[$tool]}" >&2; done
  exit 3
fi

if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
  mkdir -p .pulumi
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi"
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
case "$action" in
  up) exec pulumi up --stack "$stack" "${policy[@]}" "$@" ;;
  preview) exec pulumi preview --diff --stack "$stack" "${policy[@]}" "$@" ;;
  down) exec pulumi destroy --stack "$stack" "$@" ;;
esac
