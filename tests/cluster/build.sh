#!/usr/bin/env bash
# Builds the local test cluster's binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok) from Go modules, once.
#
# Binaries are cached outside the repository, keyed by a hash of everything
# that decides their content (pinned module files, KWOK version, platform), so
# a warm run only checks that the files exist and needs no Go toolchain.
#
# Usage:
#   tests/cluster/build.sh                  build if needed; print the bin dir
#   tests/cluster/build.sh --print-bin-dir  print the bin dir; never build
#
# Environment:
#   APPDEPLOY_CACHE_DIR  cache root (default: ~/.cache/appdeploy)
#
# Progress goes to stderr; stdout carries only the bin dir, so callers can
# capture it.
set -euo pipefail

readonly KWOK_VERSION=v0.7.0
readonly BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly here
readonly k8s_mod="$here/go/kubernetes"
readonly etcd_mod="$here/go/etcd"

log() { printf '[cluster-build] %s\n' "$*" >&2; }
die() { printf '[cluster-build] error: %s\n' "$*" >&2; exit 1; }

# Reads the version a go.mod requires for a module, so versions live in one
# place (the committed go.mod files).
required_version() { # <go.mod> <module path>
    awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }
                   $1 == "require" && $2 == m { print $3; exit }' "$1"
}

cache_key() {
    {
        echo "kwok $KWOK_VERSION"
        echo "platform $(uname -s)/$(uname -m)"
        cat "$k8s_mod/go.mod" "$k8s_mod/go.sum" "$etcd_mod/go.mod" "$etcd_mod/go.sum"
    } | sha256sum | cut -c1-16
}

readonly cache_root="${APPDEPLOY_CACHE_DIR:-$HOME/.cache/appdeploy}"
cache_dir="$cache_root/cluster/$(cache_key)"
readonly cache_dir
readonly bin_dir="$cache_dir/bin"

all_present() { # <dir>
    local b
    for b in "${BINARIES[@]}"; do [[ -x "$1/$b" ]] || return 1; done
}

if [[ "${1:-}" == "--print-bin-dir" ]]; then
    echo "$bin_dir"
    exit 0
elif [[ $# -gt 0 ]]; then
    die "unknown argument '$1' (usage: build.sh [--print-bin-dir])"
fi

if all_present "$bin_dir"; then
    log "cached: $bin_dir"
    echo "$bin_dir"
    exit 0
fi

command -v go >/dev/null 2>&1 \
    || die "the Go toolchain is not on PATH; install Go >= 1.24 (https://go.dev/dl/) and re-run"

mkdir -p "$cache_dir"
# Two test sessions may build at once; the second waits and then finds the
# binaries present.
exec 9>"$cache_dir/.lock"
flock 9
if all_present "$bin_dir"; then
    log "cached (built concurrently): $bin_dir"
    echo "$bin_dir"
    exit 0
fi

k8s_version=$(required_version "$k8s_mod/go.mod" k8s.io/kubernetes)
etcd_version=$(required_version "$etcd_mod/go.mod" go.etcd.io/etcd/server/v3)
[[ -n "$k8s_version" && -n "$etcd_version" ]] || die "cannot read pinned versions from $here/go/*/go.mod"
log "go $(go env GOVERSION), GOPROXY=$(go env GOPROXY)"
log "kubernetes $k8s_version, etcd $etcd_version, kwok $KWOK_VERSION -> $bin_dir"

# Downloading first turns an unreachable proxy into one clear error instead of
# a compile failure deep in a build.
download() { # <module dir>
    (cd "$1" && go mod download) >&2 \
        || die "cannot download Go modules for $1 from GOPROXY=$(go env GOPROXY); check network access to the proxy"
}
download "$etcd_mod"
download "$k8s_mod"

# Built into a scratch dir and moved into place at the end, so an interrupted
# build never looks complete.
tmp_bin="$cache_dir/bin.partial.$$"
rm -rf "$tmp_bin"
mkdir -p "$tmp_bin"
trap 'rm -rf "$tmp_bin"' EXIT

export CGO_ENABLED=0
# The Kubernetes binaries report their version from these variables; without
# them they claim v0.0.0 and clients log version-skew warnings.
version_ldflags() { # <package> <version>
    local major minor
    major=$(echo "$2" | sed -E 's/^v([0-9]+)\..*/\1/')
    minor=$(echo "$2" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
        "$1" "$2" "$1" "$major" "$1" "$minor" "$1"
}
k8s_ldflags="-s -w $(version_ldflags k8s.io/component-base/version "$k8s_version")$(version_ldflags k8s.io/client-go/pkg/version "$k8s_version")"

build() { # <name> <module dir> <package> [ldflags]
    local start=$SECONDS
    log "building $1 ..."
    (cd "$2" && go build -trimpath -ldflags "${4:--s -w}" -o "$tmp_bin/$1" "$3") >&2 \
        || die "building $1 ($3) failed; see the Go output above"
    log "built $1 in $((SECONDS - start))s"
}

build etcd "$etcd_mod" go.etcd.io/etcd/server/v3
build kube-apiserver "$k8s_mod" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
build kube-controller-manager "$k8s_mod" k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
build kube-scheduler "$k8s_mod" k8s.io/kubernetes/cmd/kube-scheduler "$k8s_ldflags"

# KWOK is installed from its own module so its dependency versions stay its
# own (they differ from the Kubernetes release above).
start=$SECONDS
log "building kwok ..."
GOBIN="$tmp_bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2 \
    || die "building kwok (sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION) failed; see the Go output above"
log "built kwok in $((SECONDS - start))s"

all_present "$tmp_bin" || die "build finished but binaries are missing in $tmp_bin"
rm -rf "$bin_dir"
mv "$tmp_bin" "$bin_dir"
trap - EXIT
log "done: $bin_dir"
echo "$bin_dir"
