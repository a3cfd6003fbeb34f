"""Starting components one by one and waiting until each is healthy."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from tests.cluster.apihttp import Http, HttpError
from tests.cluster.components import Component
from tests.cluster.errors import ComponentError
from tests.cluster.layout import Layout
from tests.cluster.ports import LOOPBACK
from tests.cluster.process import listening_ports, record_for, spawn
from tests.cluster.state import ClusterState
from tests.cluster.wait import WaitTimeout, wait_for

Progress = Callable[[str], None]

# Processes started by this Python process, so stopping them can also reap
# them (wait()) and leave no zombies behind in a long-lived pytest session.
_children: dict[int, subprocess.Popen[bytes]] = {}


def stderr_progress(message: str) -> None:
    print(f"[cluster] {message}", file=sys.stderr, flush=True)


def reap(pid: int) -> None:
    """Collect the exit status of a stopped child of ours (no-op otherwise)."""
    child = _children.pop(pid, None)
    if child is not None and child.poll() is None:
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _children[pid] = child  # still running: keep it for a later attempt


def remember(process: subprocess.Popen[bytes]) -> None:
    """Keep a component started by this process, so stopping it can reap it."""
    _children[process.pid] = process


def component_env(layout: Layout) -> dict[str, str]:
    """A minimal environment: no proxies, no user kube/kwok configuration."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(layout.home_dir),
        "KWOK_WORKDIR": str(layout.kwok_dir),
        "NO_PROXY": f"{LOOPBACK},localhost",
        "no_proxy": f"{LOOPBACK},localhost",
    }


class Starter:
    """Starts components, records them in the state file, waits for health."""

    def __init__(self, layout: Layout, state: ClusterState, http: Http, progress: Progress) -> None:
        self.layout = layout
        self.state = state
        self.http = http
        self.progress = progress
        self.env = component_env(layout)
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, component: Component) -> None:
        log = self.layout.log(component.name)
        process = spawn(component.name, component.argv, log, self.env, self.layout.run_dir)
        remember(process)
        self.started[component.name] = process
        record = record_for(component.name, process, log)
        self.state.processes.append(record)
        self.state.save(self.layout.state_file)
        self.layout.pid_file(component.name).write_text(f"{process.pid}\n")
        self.progress(f"started {component.name} (pid {process.pid}, log {log})")

    def check_alive(self) -> None:
        """Raise, naming the component and its log, if any has exited."""
        for name, process in self.started.items():
            code = process.poll()
            if code is not None:
                raise ComponentError(
                    name,
                    f"exited with code {code} while the cluster was starting",
                    self.layout.log(name),
                )

    def wait(
        self, what: str, predicate: Callable[[], bool], timeout: float, component: str
    ) -> None:
        def probe() -> bool:
            self.check_alive()
            return predicate()

        try:
            wait_for(probe, timeout, what, ignore=(OSError, HttpError))
        except WaitTimeout as error:
            raise ComponentError(component, str(error), self.layout.log(component)) from None

    def wait_healthy(self, component: Component, timeout: float) -> None:
        pid = self.started[component.name].pid

        def healthy() -> bool:
            # Our process must hold the port: with a port clash, another
            # process could answer the health check in its place.
            return component.port in listening_ports(pid) and self.http.healthy(
                component.health_url
            )

        self.wait(f"{component.name} at {component.health_url}", healthy, timeout, component.name)
        self.progress(f"{component.name} is healthy")
