"""`up`, `down` and `status` of a local cluster living in a run directory."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from tests.cluster import binaries, components, node
from tests.cluster.admission_config import write_admission_config
from tests.cluster.apihttp import Http
from tests.cluster.certs import CertPair, Pki, create_pki
from tests.cluster.errors import ClusterError, ComponentError
from tests.cluster.kubeconfig import write_kubeconfig
from tests.cluster.layout import Layout, Ports
from tests.cluster.pod_logs import write_log_config
from tests.cluster.ports import LOOPBACK
from tests.cluster.process import is_running, stop
from tests.cluster.starter import Progress, Starter, reap, stderr_progress
from tests.cluster.state import ClusterState

STAGES_DIR = Path(__file__).resolve().parent / "stages"
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Cluster:
    """A running cluster: what clients need to reach it."""

    name: str
    run_dir: Path
    server: str
    kubeconfig: Path
    ca: Path


def _prepare_run_dir(layout: Layout) -> None:
    run_dir = layout.run_dir
    if layout.state_file.exists():
        previous = ClusterState.load(layout.state_file)
        alive = [p.name for p in previous.processes if is_running(p)]
        if alive:
            raise ClusterError(
                f"a cluster is already running in {run_dir} ({', '.join(alive)}); "
                f"run `python -m tests.cluster down --run-dir {run_dir}` first"
            )
        shutil.rmtree(run_dir)
    elif run_dir.exists() and any(run_dir.iterdir()):
        # Never wipe a directory that we did not create.
        raise ClusterError(
            f"{run_dir} exists, is not empty and holds no cluster state; choose another run dir"
        )
    for directory in (run_dir, layout.home_dir, layout.kwok_dir):
        directory.mkdir(parents=True, exist_ok=True)


def _write_kubeconfigs(layout: Layout, pki: Pki, server: str, name: str) -> None:
    write_kubeconfig(
        layout.admin_kubeconfig,
        server=server,
        ca=pki.ca.cert,
        client=pki.admin,
        name=name,
        user="admin",
    )
    for component, client in (
        ("kube-controller-manager", pki.controller_manager),
        ("kube-scheduler", pki.scheduler),
        ("kwok", pki.kwok),
    ):
        write_kubeconfig(
            layout.kubeconfig_dir / f"{component}.kubeconfig",
            server=server,
            ca=pki.ca.cert,
            client=client,
            name=name,
            user=component,
        )


def up(
    run_dir: Path,
    *,
    name: str = "default",
    build: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    ports: Ports | None = None,
    progress: Progress = stderr_progress,
) -> Cluster:
    """Start a cluster in `run_dir`; on any failure stop what was started.

    `ports` fixes the ports (tests use it to provoke a clash); by default they
    are chosen at random.
    """
    began = time.monotonic()
    layout = Layout(run_dir.resolve())
    _prepare_run_dir(layout)
    bin_dir = binaries.locate(build=build)
    absent = binaries.missing(bin_dir)
    if absent:
        raise ComponentError(
            absent[0],
            f"binaries missing in {bin_dir}: {', '.join(absent)}; run tests/cluster/build.sh",
            None,
        )

    ports = ports or Ports.allocate()
    server = f"https://{LOOPBACK}:{ports.apiserver}"
    pki = create_pki(layout.pki_dir)
    _write_kubeconfigs(layout, pki, server, name)
    write_admission_config(layout.admission_config, pki.webhook_client)
    state = ClusterState(
        name=name,
        run_dir=str(layout.run_dir),
        bin_dir=str(bin_dir),
        server=server,
        kubeconfig=str(layout.admin_kubeconfig),
        ports={key: int(value) for key, value in vars(ports).items()},
    )
    state.save(layout.state_file)
    api = Http(pki.ca.cert, pki.admin)
    starter = Starter(layout, state, api, progress)
    try:
        etcd = components.etcd(bin_dir, layout, ports)
        starter.start(etcd)
        starter.wait_healthy(etcd, timeout)
        apiserver = components.apiserver(bin_dir, layout, ports, pki)
        starter.start(apiserver)
        starter.wait_healthy(apiserver, timeout)
        stage_files = [*sorted(STAGES_DIR.glob("*.yaml")), write_log_config(layout.kwok_dir)]
        rest = [
            components.controller_manager(bin_dir, layout, ports, pki),
            components.scheduler(bin_dir, layout, ports, pki),
            components.kwok(bin_dir, layout, ports, stage_files),
        ]
        # These three only need the API server, so they start together.
        for component in rest:
            starter.start(component)
        node.create_node(api, server)
        for component in rest:
            starter.wait_healthy(component, timeout)
        starter.wait(
            f"node {components.NODE_NAME} Ready and untainted",
            lambda: node.node_schedulable(api, server),
            timeout,
            "kwok",
        )
        starter.wait(
            "ServiceAccount default/default",
            lambda: node.default_service_account_exists(api, server),
            timeout,
            "kube-controller-manager",
        )
    except BaseException:
        # Also on Ctrl-C: never leave half a cluster running.
        _stop_all(state, layout, progress)
        state.phase = "failed"
        state.save(layout.state_file)
        raise
    state.phase = "ready"
    state.save(layout.state_file)
    progress(
        f"cluster '{name}' ready in {time.monotonic() - began:.1f}s; "
        f"kubeconfig: {layout.admin_kubeconfig}"
    )
    return Cluster(
        name=name,
        run_dir=layout.run_dir,
        server=server,
        kubeconfig=layout.admin_kubeconfig,
        ca=pki.ca.cert,
    )


def _stop_all(state: ClusterState, layout: Layout, progress: Progress) -> list[str]:
    """Stop components in reverse start order; return those that survived."""
    survivors = []
    for record in reversed(state.processes):
        if stop(record):
            progress(f"stopped {record.name}")
        else:
            survivors.append(f"{record.name} (pid {record.pid})")
        reap(record.pid)
        layout.pid_file(record.name).unlink(missing_ok=True)
    return survivors


def down(run_dir: Path, *, purge: bool = False, progress: Progress = stderr_progress) -> None:
    """Stop every process of the cluster in `run_dir` (logs are kept unless `purge`)."""
    layout = Layout(run_dir.resolve())
    if not layout.state_file.exists():
        progress(f"no cluster state in {layout.run_dir}; nothing to stop")
        return
    state = ClusterState.load(layout.state_file)
    survivors = _stop_all(state, layout, progress)
    if survivors:
        raise ClusterError(f"could not stop: {', '.join(survivors)}")
    state.phase = "stopped"
    state.save(layout.state_file)
    if purge:
        shutil.rmtree(layout.run_dir)
        progress(f"removed {layout.run_dir}")


@dataclass(frozen=True)
class Status:
    state: ClusterState
    running: dict[str, bool]
    apiserver_ready: bool

    @property
    def healthy(self) -> bool:
        return self.state.phase == "ready" and self.apiserver_ready and all(self.running.values())


def status(run_dir: Path) -> Status | None:
    layout = Layout(run_dir.resolve())
    if not layout.state_file.exists():
        return None
    state = ClusterState.load(layout.state_file)
    running = {record.name: is_running(record) for record in state.processes}
    ready = False
    if running.get("kube-apiserver", False):
        try:
            api = Http(layout.pki_dir / "ca.crt", CertPair.named(layout.pki_dir, "admin"))
        except OSError:  # credentials deleted: cannot ask, so not ready
            api = None
        ready = api is not None and api.healthy(f"{state.server}/readyz")
    return Status(state=state, running=running, apiserver_ready=ready)
