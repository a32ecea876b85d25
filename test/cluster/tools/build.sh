#!/usr/bin/env bash
# Builds the real control plane's programs from the Go module proxy into a cache outside the clone.
#
#   bash test/cluster/tools/build.sh            build what is missing, print where the binaries are
#   bash test/cluster/tools/build.sh --list     print each group's cache key and whether it is built
#
# Each group is one Go module in this folder (one go.mod per group, because their dependency versions
# clash: kube-apiserver 1.34 wants client-go 0.34, istiod client-go 0.36). A group's cache folder is
# named by a hash of its go.mod, go.sum, its recipe below and the Go version, so a changed pin builds
# anew and an unchanged one takes no time. Binaries are stamped with the version flags each project's
# own release build sets (hack/lib/version.sh, Makefile.core.mk, Helm's Makefile, kwok's
# hack/releases.sh), so /version, `helm version` and `istioctl version` tell the truth.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${PINGPONG_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pingpong-platform/tools}"

if ! command -v go >/dev/null 2>&1; then
  echo "tools: Go 1.26 or newer is needed to build the control plane (https://go.dev/dl); none on PATH" >&2
  exit 2
fi
go_version="$(go env GOVERSION)"
case "$go_version" in
  go1.2[6-9]* | go1.[3-9][0-9]*) ;;
  *)
    echo "tools: Go 1.26 or newer is needed to build the control plane; found $go_version" >&2
    exit 2
    ;;
esac

# The pins. Versions are what `go list -m -versions` lists on the module proxy.
KUBE_VERSION=v1.34.4
ETCD_VERSION=v3.6.17
KWOK_VERSION=v0.8.0
HELM_VERSION=v4.3.2
# istio.io/istio has no release versions on the proxy (its tags have no "v"); this pseudo-version is
# the commit nearest the 1.31 line (VERSION file "1.31", istio.io/api v1.31.0-rc.0).
ISTIO_PSEUDO=v0.0.0-20260827124520-eed52ebb66ad
ISTIO_VERSION=1.31-dev
ISTIO_COMMIT=eed52ebb66ad
# The controller version the argo-rollouts chart 2.41.0 deploys (its appVersion).
ARGO_ROLLOUTS_VERSION=v1.9.0
# The CLI of @pulumi/pulumi's version (package.json), and the one Kubernetes provider the proxy
# serves: a pseudo-version built against pulumi-kubernetes/sdk v4.24.0.
PULUMI_VERSION=v3.248.0
PULUMI_KUBERNETES_VERSION=4.0.0-20260115033456-f47bc2d6f199

groups=(kubernetes etcd kwok helm istio argo-rollouts pulumi pulumi-kubernetes)

# group -> "binary=package ..." and its -ldflags and -tags.
packages() {
  case "$1" in
    kubernetes) echo "kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler" ;;
    etcd) echo "etcd=go.etcd.io/etcd/server/v3" ;;
    kwok) echo "kwok=sigs.k8s.io/kwok/cmd/kwok" ;;
    helm) echo "helm=helm.sh/helm/v4/cmd/helm" ;;
    istio) echo "pilot-discovery=istio.io/istio/pilot/cmd/pilot-discovery istioctl=istio.io/istio/istioctl/cmd/istioctl" ;;
    argo-rollouts) echo "rollouts-controller=github.com/argoproj/argo-rollouts/cmd/rollouts-controller" ;;
    pulumi) echo "pulumi=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi" ;;
    pulumi-kubernetes) echo "pulumi-resource-kubernetes=." ;;
  esac
}

module_time() {
  # The pinned version's commit time, from the proxy's .info: a reproducible build date.
  (cd "$here/$1" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$2")
}

ldflags() {
  local minor
  case "$1" in
    kubernetes)
      minor="${KUBE_VERSION#v1.}"
      minor="${minor%%.*}"
      local f=""
      for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
        f+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        f+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(module_time kubernetes k8s.io/kubernetes)"
      done
      echo "-s -w$f"
      ;;
    etcd) echo "-s -w" ;; # etcd's version is a constant in go.etcd.io/etcd/api/v3/version
    kwok) echo "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBE_VERSION" ;;
    helm) echo "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.metadata= -X helm.sh/helm/v4/internal/version.gitTreeState=clean" ;;
    istio)
      local p=istio.io/istio/pkg/version
      echo "-s -w -X $p.buildVersion=$ISTIO_VERSION -X $p.buildGitRevision=$ISTIO_COMMIT -X $p.buildStatus=Clean -X $p.buildTag=$ISTIO_PSEUDO -X $p.buildHub=docker.io/istio -X $p.buildOS=linux -X $p.buildArch=$(go env GOARCH)"
      ;;
    argo-rollouts)
      local a=github.com/argoproj/argo-rollouts/utils/version
      echo "-s -w -X $a.version=${ARGO_ROLLOUTS_VERSION#v} -X $a.gitTreeState=clean -X $a.buildDate=$(module_time argo-rollouts github.com/argoproj/argo-rollouts)"
      ;;
    pulumi) echo "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" ;;
    pulumi-kubernetes) echo "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" ;;
  esac
}

tags() {
  case "$1" in
    istio) echo "vtprotobuf,disable_pgv" ;;
    *) echo "" ;;
  esac
}

recipe() {
  # Everything that decides the binaries besides go.mod and go.sum: Go, packages, tags and version stamps.
  echo "$go_version|$(packages "$1")|$(tags "$1")|$(ldflags "$1")"
}

key() {
  # A group's own Go sources (a main of the project's) count too.
  { cat "$here/$1/go.mod" "$here/$1/go.sum"; find "$here/$1" -maxdepth 1 -name '*.go' | sort | xargs -r cat; recipe "$1"; } |
    sha256sum | cut -c1-16
}

dir_of() { echo "$cache/$1-$(key "$1")"; }

if [ "${1:-}" = "--list" ]; then
  for g in "${groups[@]}"; do
    d="$(dir_of "$g")"
    if [ -f "$d/.complete" ]; then state=built; else state=missing; fi
    printf '%-11s %s %s\n' "$g" "$state" "$d"
  done
  exit 0
fi

mkdir -p "$cache/bin"
start_all=$SECONDS
n=0
for g in "${groups[@]}"; do
  n=$((n + 1))
  d="$(dir_of "$g")"
  if [ -f "$d/.complete" ]; then
    echo "tools: [$n/${#groups[@]}] $g: cached ($d)"
  else
    echo "tools: [$n/${#groups[@]}] $g: building $(packages "$g" | sed 's/=[^ ]*//g') ..."
    t0=$SECONDS
    tmp="$d.partial.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    pkgs=()
    for entry in $(packages "$g"); do pkgs+=("${entry#*=}"); done
    (
      cd "$here/$g"
      # Downloads first, so progress shows where the time goes.
      go mod download
      echo "tools:       modules ready after $((SECONDS - t0)) s; compiling"
      for entry in $(packages "$g"); do
        bin="${entry%%=*}"
        pkg="${entry#*=}"
        CGO_ENABLED=0 go build -mod=readonly -trimpath -tags "$(tags "$g")" -ldflags "$(ldflags "$g")" -o "$tmp/$bin" "$pkg"
        echo "tools:       $bin ($(du -h "$tmp/$bin" | cut -f1)) after $((SECONDS - t0)) s"
      done
    )
    if [ "$g" = kwok ]; then
      # kwok's controller takes its stages as configuration; these are the pinned module's own default
      # stages (what kwokctl embeds): node initialise and heartbeat with lease, pod ready, complete, delete.
      src="$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
      for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
        pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
        echo "---"
        cat "$src/$f"
      done >"$tmp/stages.yaml"
    fi
    if [ "$g" = pulumi-kubernetes ]; then
      # The schema and mapping the provider serves, from the pinned module (main.go reads them here).
      src="$(cd "$here/pulumi-kubernetes" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)"
      cp "$src/cmd/pulumi-resource-kubernetes/schema.json" "$tmp/pulumi-resource-kubernetes.schema.json"
      cp "$src/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$tmp/pulumi-resource-kubernetes.terraform-mapping.json"
    fi
    recipe "$g" >"$tmp/.recipe"
    rm -rf "$d"
    mv "$tmp" "$d"
    trap - EXIT
    touch "$d/.complete"
    echo "tools: [$n/${#groups[@]}] $g: built in $((SECONDS - t0)) s"
  fi
  for entry in $(packages "$g"); do
    bin="${entry%%=*}"
    ln -sfn "$d/$bin" "$cache/bin/$bin"
  done
  if [ -f "$d/stages.yaml" ]; then ln -sfn "$d/stages.yaml" "$cache/bin/kwok-stages.yaml"; fi
done
echo "tools: all built in $((SECONDS - start_all)) s; binaries in $cache/bin"
