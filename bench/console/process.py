"""``appdeploy console`` as its own process, as one person, for the bench to measure.

A separate process so the bench's client and the console do not share a
Python interpreter (and its GIL): what the bench times over loopback is the
console serving, as a person's browser would see it. Local mode with the
admin kubeconfig and ``--as``/``--as-group``: RBAC sees the person.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class Console:
    """One console process on a free loopback port."""

    def __init__(
        self, kubeconfig: Path, log_path: Path, user: str, groups: Sequence[str], namespace: str
    ) -> None:
        self.port = free_ports(1)[0]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log_path = log_path
        identity = [f"--as={user}", *(f"--as-group={group}" for group in groups)]
        self._argv = [
            *(sys.executable, "-m", "appdeploy", "console"),
            *("--kubeconfig", str(kubeconfig), "-n", namespace, *identity),
            *("--address", f"{LOOPBACK}:{self.port}"),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until /healthz answers; RuntimeError with its log if it exits."""
        # httpx honours *_PROXY: nothing may go through a proxy, the cluster is on loopback.
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self._argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        wait_for(self._healthy, READY_TIMEOUT, "the console's /healthz", ignore=(httpx.HTTPError,))

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace").splitlines()[-20:]
            raise RuntimeError(
                f"the console exited with {self.process.returncode}:\n" + "\n".join(tail)
            )
        return httpx.get(f"{self.url}/healthz", timeout=1, trust_env=False).text == "ok"

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL if it does not go in time."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
