#!/usr/bin/env bash
# Builds the kstatus checker (tests/kstatus/go: the real
# sigs.k8s.io/cli-utils/pkg/kstatus/status library behind a small main), once,
# and prints its path. Like tests/helm/build.sh: cached outside the repository,
# keyed by the library version and a hash of the checker's sources and
# platform, so a warm run only checks that the file exists and needs no Go
# toolchain.
#
# Usage:
#   tests/kstatus/build.sh               build if needed; print the binary's path
#   tests/kstatus/build.sh --print-path  print the path; never build
#
# Environment:
#   APPDEPLOY_CACHE_DIR  cache root (default: ~/.cache/appdeploy)
#
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly module="$here/go"

log() { printf '[kstatus-build] %s\n' "$*" >&2; }
die() { printf '[kstatus-build] error: %s\n' "$*" >&2; exit 1; }

# The version lives in one place, the committed go.mod.
version=$(awk '$1 == "sigs.k8s.io/cli-utils" { print $2; exit }' "$module/go.mod")
[[ -n "$version" ]] || die "cannot read the sigs.k8s.io/cli-utils version from $module/go.mod"
readonly version
key=$(
    {
        echo "platform $(uname -s)/$(uname -m)"
        cat "$module/go.mod" "$module/go.sum" "$module/main.go"
    } | sha256sum | cut -c1-16
)
readonly key

readonly cache_root="${APPDEPLOY_CACHE_DIR:-$HOME/.cache/appdeploy}"
readonly cache_dir="$cache_root/kstatus/$version/$key"
readonly binary="$cache_dir/bin/kstatus"

if [[ "${1:-}" == "--print-path" ]]; then
    echo "$binary"
    exit 0
elif [[ $# -gt 0 ]]; then
    die "unknown argument '$1' (usage: build.sh [--print-path])"
fi

if [[ -x "$binary" ]]; then
    log "cached: $binary"
    echo "$binary"
    exit 0
fi

command -v go >/dev/null 2>&1 \
    || die "the Go toolchain is not on PATH; install Go >= 1.24 (https://go.dev/dl/) and re-run"

mkdir -p "$cache_dir"
# Two test sessions may build at once; the second waits and then finds it.
exec 9>"$cache_dir/.lock"
flock 9
if [[ -x "$binary" ]]; then
    log "cached (built concurrently): $binary"
    echo "$binary"
    exit 0
fi

log "go $(go env GOVERSION), GOPROXY=$(go env GOPROXY)"
log "building the kstatus checker with sigs.k8s.io/cli-utils $version ..."
# Built into a scratch dir and moved into place at the end, so an interrupted
# build never looks complete.
tmp_bin="$cache_dir/bin.partial.$$"
rm -rf "$tmp_bin"
mkdir -p "$tmp_bin"
trap 'rm -rf "$tmp_bin"' EXIT
start=$SECONDS
(cd "$module" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp_bin/kstatus" .) >&2 \
    || die "building the kstatus checker failed; check access to GOPROXY=$(go env GOPROXY) and the Go output above"
rm -rf "$cache_dir/bin"
mv "$tmp_bin" "$cache_dir/bin"
trap - EXIT
log "built the kstatus checker in $((SECONDS - start))s: $binary"
echo "$binary"
