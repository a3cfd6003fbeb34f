"""Locating (and if asked, building) the cluster's binaries via build.sh.

build.sh owns the cache key, so Python never recomputes it: it asks the
script for the bin directory.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.cluster.errors import ClusterError

BUILD_SCRIPT = Path(__file__).resolve().parent / "build.sh"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
# Points at a directory holding prebuilt binaries, bypassing build.sh.
BIN_DIR_ENV = "APPDEPLOY_CLUSTER_BIN_DIR"


def missing(bin_dir: Path) -> list[str]:
    return [name for name in BINARIES if not os.access(bin_dir / name, os.X_OK)]


def locate(*, build: bool) -> Path:
    """The directory with all binaries; runs build.sh first if `build`.

    Build progress streams to our stderr; a cold build takes minutes.
    """
    override = os.environ.get(BIN_DIR_ENV)
    if override:
        return Path(override)
    argv = [str(BUILD_SCRIPT)] if build else [str(BUILD_SCRIPT), "--print-bin-dir"]
    result = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise ClusterError(
            f"{BUILD_SCRIPT.name} failed with exit code {result.returncode} (see its output above)"
        )
    lines = result.stdout.strip().splitlines()
    if not lines:
        raise ClusterError(f"{BUILD_SCRIPT.name} printed no bin directory")
    return Path(lines[-1])
