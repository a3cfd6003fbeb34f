"""Restart one component of a running cluster (etcd, kube-apiserver), for the chaos suite.

The component is started again with exactly the command line it runs with
now (read from /proc), so whatever flags the cluster was started with stay,
and its record in the state file is replaced in place, keeping the start
order that ``down`` reverses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tests.cluster.apihttp import Http, HttpError
from tests.cluster.certs import CertPair
from tests.cluster.errors import ClusterError
from tests.cluster.layout import Layout
from tests.cluster.ports import LOOPBACK
from tests.cluster.process import is_running, listening_ports, record_for, spawn, stop
from tests.cluster.starter import component_env, reap, remember
from tests.cluster.state import ClusterState
from tests.cluster.wait import wait_for

RESTARTABLE = ("etcd", "kube-apiserver")


@dataclass(frozen=True)
class Restarted:
    """How long the component was away, on this process's monotonic clock."""

    component: str
    stopped_at: float
    """When it was asked to stop (SIGTERM)."""
    started_at: float
    """When the new process was spawned (the old one had exited)."""
    ready_at: float
    """When it answered its health check again."""

    @property
    def downtime(self) -> float:
        return self.ready_at - self.stopped_at


def _health(name: str, ports: dict[str, int]) -> tuple[str, int]:
    if name == "etcd":
        return f"http://{LOOPBACK}:{ports['etcd_client']}/health", ports["etcd_client"]
    return f"https://{LOOPBACK}:{ports['apiserver']}/readyz", ports["apiserver"]


def _cmdline(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [part.decode() for part in raw.split(b"\0") if part]


def restart(run_dir: Path, name: str, timeout: float = 60.0) -> Restarted:
    """Stop ``name`` (SIGTERM, then SIGKILL) and start it again; wait until it is healthy."""
    if name not in RESTARTABLE:
        raise ValueError(f"only {', '.join(RESTARTABLE)} can be restarted, not {name}")
    layout = Layout(run_dir.resolve())
    state = ClusterState.load(layout.state_file)
    [index] = [i for i, record in enumerate(state.processes) if record.name == name]
    old = state.processes[index]
    if not is_running(old):
        raise ClusterError(f"{name} (pid {old.pid}) is not running; nothing to restart")
    argv = _cmdline(old.pid)
    stopped_at = time.monotonic()
    if not stop(old):
        raise ClusterError(f"could not stop {name} (pid {old.pid})")
    reap(old.pid)
    started_at = time.monotonic()
    process = spawn(name, argv, old.log_path, component_env(layout), layout.run_dir)
    remember(process)
    state.processes[index] = record_for(name, process, old.log_path)
    state.save(layout.state_file)
    layout.pid_file(name).write_text(f"{process.pid}\n")
    url, port = _health(name, state.ports)
    http = Http(layout.pki_dir / "ca.crt", CertPair.named(layout.pki_dir, "admin"))

    def healthy() -> bool:
        if process.poll() is not None:
            raise ClusterError(f"{name} exited with {process.returncode}; log: {old.log}")
        return port in listening_ports(process.pid) and http.healthy(url)

    wait_for(healthy, timeout, f"{name} at {url} after its restart", ignore=(OSError, HttpError))
    return Restarted(name, stopped_at, started_at, time.monotonic())
