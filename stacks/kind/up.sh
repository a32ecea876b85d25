#!/usr/bin/env bash
# Creates, when missing, the dev stack's local cluster: a kind cluster named "pingpong" (kubeconfig
# context kind-pingpong) whose nodes pull localhost:5001/* from a registry container on the host.
# Idempotent: existing pieces are kept.
set -euo pipefail

cluster=${KIND_CLUSTER_NAME:-pingpong}
registry=${KIND_REGISTRY_NAME:-kind-registry}
port=${KIND_REGISTRY_PORT:-5001}
# Distribution's registry 3.x: docker-library/official-images library/registry: tags 3.1.1, 3.1, 3, latest
# (the 2.x tags were dropped from it in 2025 and no longer get fixes).
registry_image=registry:3.1.1
here=$(cd "$(dirname "$0")" && pwd)

# Also run on its own (see the README's troubleshooting): check before creating anything.
# shellcheck source=SCRIPTDIR/prerequisites.sh
source "$here/prerequisites.sh"
problems=()
check_docker
check_kind
check_kubectl
if [ "${#problems[@]}" -gt 0 ]; then
  report_problems "stacks/kind/up.sh: the dev cluster cannot be created; nothing was created. Fix these first:"
  exit 3
fi

if [ "$(docker inspect -f '{{.State.Running}}' "$registry" 2>/dev/null || true)" != true ]; then
  if docker inspect "$registry" >/dev/null 2>&1; then
    docker start "$registry" >/dev/null
  else
    echo "Starting registry $registry on 127.0.0.1:$port"
    docker run -d --restart=always -p "127.0.0.1:$port:5000" --name "$registry" "$registry_image" >/dev/null
  fi
fi

if ! kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  echo "Creating kind cluster $cluster"
  kind create cluster --name "$cluster" --config "$here/cluster.yaml" --wait 120s
fi

# Containerd on each node resolves localhost:<port> to the registry container over the kind network.
for node in $(kind get nodes --name "$cluster"); do
  dir="/etc/containerd/certs.d/localhost:$port"
  docker exec "$node" mkdir -p "$dir"
  printf '[host."http://%s:5000"]\n' "$registry" | docker exec -i "$node" cp /dev/stdin "$dir/hosts.toml"
done
if [ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$registry")" = null ]; then
  docker network connect kind "$registry"
fi

# Advertise the registry to tools that read KEP-1755's ConfigMap.
kubectl --context "kind-$cluster" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:$port"
YAML
echo "kind cluster $cluster ready (context kind-$cluster), registry localhost:$port"
