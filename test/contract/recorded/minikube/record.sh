#!/usr/bin/env bash
# Re-derives the minikube fixtures in this folder from minikube's source at one version, and
# records with the real binary (built from that source) the outputs that need no cluster.
#   test/contract/recorded/minikube/record.sh [v1.38.1]
# Needs Go and the Go module proxy. Nothing it runs reaches a cluster, a Docker daemon or the
# network: PATH holds no docker, and the update check goes to a closed local port.
set -euo pipefail
version=${1:-v1.38.1}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# A fresh module cache unless one is given (GOMODCACHE=... record.sh reuses it).
export GOMODCACHE="${GOMODCACHE:-$work/mod}" GOFLAGS=-modcacherw

# The module zip of the tag, checked against sum.golang.org; its origin names the commit.
(cd "$work" && go mod download -json "k8s.io/minikube@$version") > "$work/module.json"
commit=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).Origin.Hash)' "$work/module.json")
src="$work/src"
cp -r "$GOMODCACHE/k8s.io/minikube@$version" "$src"
chmod -R u+w "$src"
mkdir -p "$src/hack/contract-derive"
cp "$here/derive/main.go" "$src/hack/contract-derive/"
ldflags="-X k8s.io/minikube/pkg/version.version=$version -X k8s.io/minikube/pkg/version.gitCommitID=$commit"
# As minikube's Makefile builds it: the kvm2 driver loads libvirt at run time instead of linking it.
tags=libvirt_dlopen

home="$work/home"
mkdir -p "$home" "$work/bin" "$work/tmp"
(cd "$src" && go run -tags "$tags" -ldflags "$ldflags" ./hack/contract-derive "$here" "$home/.minikube")
(cd "$src" && go build -tags "$tags" -ldflags "$ldflags" -o "$work/minikube" ./cmd/minikube)

# record NAME ARGV...: runs the real binary and writes NAME.json (overwriting a derived one).
record() {
  local name=$1
  shift
  local code=0
  env -i HOME="$home" MINIKUBE_HOME="$home" KUBECONFIG="$home/kubeconfig" PATH="$work/bin" TMPDIR="$work/tmp" \
    HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 MINIKUBE_IN_STYLE=false \
    "$work/minikube" "$@" > "$work/out" 2> "$work/err" || code=$?
  node -e '
    const [file, version, commit, code, out, err, ...argv] = process.argv.slice(1);
    const fs = require("fs");
    const fixture = { tool: "minikube", version, source: `kubernetes/minikube@${version} (${commit}): recorded from the binary built from it (record.sh)`, argv, exitCode: Number(code), stdout: fs.readFileSync(out, "utf8"), stderr: fs.readFileSync(err, "utf8") };
    fs.writeFileSync(file, JSON.stringify(fixture, null, 2) + "\n");
  ' "$here/$name.json" "$version" "$commit" "$code" "$work/out" "$work/err" "$@"
  echo "recorded $name (exit $code)"
}

record version version -o json
record status-profile-missing status -p todo -o json
# The profile's config as `start` saves it, but no machine: the host is Nonexistent, so
# GetStatus fails and status prints null (exit 7); profile list reports it "Unknown".
record status-host-missing status -p minikube -o json
record profile-list-host-missing profile list -o json
rm -r "$home/.minikube/profiles"
record profile-list-empty profile list -o json
