#!/usr/bin/env bash
# Builds the Helm CLI from the helm.sh/helm/v3 Go module, once, and prints its
# path. Like tests/cluster/build.sh: cached outside the repository, keyed by
# version and platform, so a warm run only checks that the file exists and
# needs no Go toolchain.
#
# Usage:
#   tests/helm/build.sh               build if needed; print the helm binary's path
#   tests/helm/build.sh --print-path  print the path; never build
#
# Environment:
#   APPDEPLOY_CACHE_DIR  cache root (default: ~/.cache/appdeploy)
#
# Progress goes to stderr; stdout carries only the path, so callers can
# capture it: HELM=$(tests/helm/build.sh).
set -euo pipefail

readonly HELM_VERSION=v3.22.0

log() { printf '[helm-build] %s\n' "$*" >&2; }
die() { printf '[helm-build] error: %s\n' "$*" >&2; exit 1; }

readonly cache_root="${APPDEPLOY_CACHE_DIR:-$HOME/.cache/appdeploy}"
# The path keeps the layout earlier builds used (helm/<version>/bin/helm);
# the platform is part of the key only when it is not linux/amd64, so
# another machine kind never reuses a foreign binary.
platform="$(uname -s)-$(uname -m)"
if [[ "$platform" == "Linux-x86_64" ]]; then
    cache_dir="$cache_root/helm/$HELM_VERSION"
else
    cache_dir="$cache_root/helm/$HELM_VERSION-$platform"
fi
readonly cache_dir
readonly helm="$cache_dir/bin/helm"

if [[ "${1:-}" == "--print-path" ]]; then
    echo "$helm"
    exit 0
elif [[ $# -gt 0 ]]; then
    die "unknown argument '$1' (usage: build.sh [--print-path])"
fi

if [[ -x "$helm" ]]; then
    log "cached: $helm"
    echo "$helm"
    exit 0
fi

command -v go >/dev/null 2>&1 \
    || die "the Go toolchain is not on PATH; install Go >= 1.24 (https://go.dev/dl/) and re-run"

mkdir -p "$cache_dir"
# Two test sessions may build at once; the second waits and then finds it.
exec 9>"$cache_dir/.lock"
flock 9
if [[ -x "$helm" ]]; then
    log "cached (built concurrently): $helm"
    echo "$helm"
    exit 0
fi

log "go $(go env GOVERSION), GOPROXY=$(go env GOPROXY)"
log "building helm $HELM_VERSION (about a minute cold) ..."
# Built into a scratch dir and moved into place at the end, so an interrupted
# build never looks complete.
tmp_bin="$cache_dir/bin.partial.$$"
rm -rf "$tmp_bin"
mkdir -p "$tmp_bin"
trap 'rm -rf "$tmp_bin"' EXIT
start=$SECONDS
# go install with @version uses Helm's own go.mod/go.sum; CGO off gives a
# static binary. Helm reads its version from -X flags set by its Makefile;
# without them `helm version` prints a truncated one, which nothing here uses.
GOBIN="$tmp_bin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2 \
    || die "building helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed; check access to GOPROXY=$(go env GOPROXY) and the Go output above"
[[ -x "$tmp_bin/helm" ]] || die "go install finished but $tmp_bin/helm is missing"
rm -rf "$cache_dir/bin"
mv "$tmp_bin" "$cache_dir/bin"
trap - EXIT
log "built helm in $((SECONDS - start))s: $helm"
echo "$helm"
