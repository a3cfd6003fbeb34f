"""The web console as a real process against a local cluster (tests, demo, bench, screenshots).

It runs ``python -m appdeploy console`` in local mode (the cluster's
kubeconfig, with ``--as``/``--as-group`` for a person) or client mode (no
credentials at all), logs to a file, and is ready once /healthz answers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class ConsoleProcess:
    """One console process; ``url`` is where it serves."""

    def __init__(self, log_path: Path, args: Sequence[str], kubeconfig: Path | None = None) -> None:
        self.log_path = log_path
        self.args = list(args)
        self.kubeconfig = kubeconfig
        self.port = free_ports(1)[0]
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def as_person(
        cls, kubeconfig: Path, log_path: Path, user: str, groups: Sequence[str] = ()
    ) -> ConsoleProcess:
        """Local mode with the admin kubeconfig, impersonating ``user`` in ``groups``."""
        args = ["--kubeconfig", str(kubeconfig), "--as", user]
        for group in groups:
            args += ["--as-group", group]
        return cls(log_path, args, kubeconfig)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> ConsoleProcess:
        """Start it and wait until /healthz answers."""
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.pop("KUBECONFIG", None)  # only what the flags give it
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "appdeploy", "console", "--address",
             f"{LOOPBACK}:{self.port}", *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_for(self._healthy, READY_TIMEOUT, f"the console's /healthz (log: {self.log_path})",
                 ignore=(OSError,))  # fmt: skip
        return self

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"the console exited: {self.log_text()}")
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
            return bool(response.status == 200)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ConsoleProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
