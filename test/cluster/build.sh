#!/usr/bin/env bash
# Builds the Kubernetes the cluster tier runs (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, CoreDNS) from the Go module proxy, once per pinned version,
# into a cache shared by every checkout and CI run on this machine. Idempotent: a binary that
# exists is not rebuilt. Prints the bin directory on its last line.
#
# Why a wrapper module: k8s.io/kubernetes requires its staging modules (k8s.io/api, …) at
# v0.0.0 and replaces them with ./staging/…, so `go install k8s.io/kubernetes/cmd/X@v1.34.N` is
# refused (golang/go#44840, kubernetes#79384). A module of our own requires k8s.io/kubernetes
# and replaces each staging module with its published v0.34.N. etcd's server module replaces
# its sibling modules with ../ paths, so it gets a wrapper too.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
CACHE="${TODO_DEPLOY_CLUSTER_CACHE:-/var/cache/todo-deploy-cluster}"
BIN="$CACHE/$K8S_VERSION/bin"
COREDNS_VERSION="${COREDNS_VERSION:-v1.12.1}"   # the version Kubernetes 1.34 bundles
REGISTRY_VERSION="${REGISTRY_VERSION:-v3.1.2}"   # distribution/distribution: the OCI registry of the cluster target's tests
K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$BIN"

missing=()
for c in "${K8S_COMPONENTS[@]}"; do [[ -x "$BIN/$c" ]] || missing+=("$c"); done

if ((${#missing[@]})); then
  work="$CACHE/$K8S_VERSION/wrapper-k8s"
  rm -rf "$work" && mkdir -p "$work"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  staging_version="v0.${K8S_VERSION#v1.}"
  upstream_mod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  {
    echo "module todo-deploy.test/k8s-build"
    echo
    grep -E '^(go|godebug) ' "$upstream_mod"   # godebug counts only in the main module
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    # Every staging module the upstream go.mod points at ./staging, at its published version.
    sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$upstream_mod" |
      while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"; done
    echo ")"
  } >"$work/go.mod"
  # Version stamps, as hack/lib/version.sh sets them: without them /version reads
  # v0.0.0-master and Helm's kubeVersion checks break.
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  pkgs=(); for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$BIN/" "${pkgs[@]}")
fi

if [[ ! -x "$BIN/etcd" ]]; then
  work="$CACHE/$K8S_VERSION/wrapper-etcd"
  rm -rf "$work" && mkdir -p "$work"
  cat >"$work/go.mod" <<MOD
module todo-deploy.test/etcd-build

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
  cat >"$work/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" .)
fi

# CoreDNS: its go.mod replaces nothing, so `go install` builds it as released.
if [[ ! -x "$BIN/coredns" ]]; then
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
fi

# The OCI registry (distribution v3): its go.mod replaces nothing either. Installed under a
# versioned name, so a new pin is built beside the old one.
if [[ ! -x "$BIN/registry-$REGISTRY_VERSION" ]]; then
  work="$CACHE/$K8S_VERSION/registry-build"
  rm -rf "$work" && mkdir -p "$work"
  GOBIN="$work" go install -trimpath -ldflags "-s -w" "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
  mv "$work/registry" "$BIN/registry-$REGISTRY_VERSION" && rm -rf "$work"
fi

echo "$BIN"
