"""Start the local control plane, or reuse the one already running.

Reusing matters: ``make cluster-up`` users, a previous demo and the
integration tests (``APPDEPLOY_KUBECONFIG``) may all share the default
cluster, and `up` refuses a run directory whose cluster is alive. A cluster
that is half alive is not ours to kill, so the demo names it and stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.cluster.errors import ClusterError
from tests.cluster.launcher import down, status, up
from tests.cluster.layout import default_run_dir


@dataclass(frozen=True)
class ClusterHandle:
    """Where the demo's cluster is, and whether this demo started it."""

    name: str
    run_dir: Path
    kubeconfig: Path
    started: bool


def running_cluster(name: str) -> ClusterHandle | None:
    """The healthy cluster called ``name``, None if none runs; raises if it is half alive."""
    run_dir = default_run_dir(name)
    current = status(run_dir)
    if current is None:
        return None
    if current.healthy:
        return ClusterHandle(name, run_dir, Path(current.state.kubeconfig), started=False)
    if any(current.running.values()):
        alive = ", ".join(n for n, running in current.running.items() if running)
        raise ClusterError(
            f"cluster '{name}' in {run_dir} is running but not healthy ({alive} alive, "
            f"phase {current.state.phase}); stop it with `make cluster-down` and run the demo again"
        )
    return None


def start_cluster(name: str) -> ClusterHandle:
    """Start the cluster (building its binaries first if they are not cached)."""
    cluster = up(default_run_dir(name), name=name)
    return ClusterHandle(name, cluster.run_dir, cluster.kubeconfig, started=True)


def stop_cluster(handle: ClusterHandle) -> None:
    """Stop every process of the cluster (its logs stay in the run directory)."""
    down(handle.run_dir)
