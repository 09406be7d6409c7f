#!/usr/bin/env bash
# Builds the buildx CLI plugin (v0.24.0, the one docker 28.2 ships) from its Go module, so the
# recorder can record the docker 28 client with BuildKit as well as without it. No download
# site is reachable here; the Go module proxy is. `go install …@v0.24.0` refuses (its go.mod
# has exclude directives), so the module's source is built as the main module.
#   bash test/contract/build-buildx.sh [out-dir]   (default /var/cache/todo-deploy-engine/buildx)
set -euo pipefail
version=v0.24.0
out=${1:-/var/cache/todo-deploy-engine/buildx}
mkdir -p "$out"
src=$(go mod download -json "github.com/docker/buildx@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/" && chmod -R u+w "$work"
# The module zip carries vendor/modules.txt but not the vendored code.
rm -rf "$work/vendor"
(cd "$work" && go build -mod=mod -ldflags "-X github.com/docker/buildx/version.Version=$version -X github.com/docker/buildx/version.Package=github.com/docker/buildx" -o "$out/docker-buildx" ./cmd/buildx)
echo "$out/docker-buildx"
