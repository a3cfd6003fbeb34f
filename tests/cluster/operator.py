"""The appdeploy operator as a real process against a local cluster (tests, demo, bench).

It runs ``python -m appdeploy operator`` with the cluster's kubeconfig, logs
to a file, and is ready once its liveness endpoint answers. ``kill`` sends
SIGKILL (crash tests); ``stop`` asks politely first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from prometheus_client.parser import text_string_to_metric_families

from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class OperatorProcess:
    """One operator process; use as a context manager or call start/stop."""

    def __init__(
        self,
        kubeconfig: Path,
        log_path: Path,
        args: Sequence[str] = (),
        *,
        metrics: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.extra_env = dict(env or {})
        self.log_path = log_path
        self.args = list(args)
        self.metrics_port = free_ports(1)[0] if metrics else 0
        if metrics:
            self.args += ["--metrics-address", f"{LOOPBACK}:{self.metrics_port}"]
        self.process: subprocess.Popen[bytes] | None = None
        self.health_port = 0

    def start(self) -> OperatorProcess:
        """Start the operator and wait until /healthz answers."""
        self.health_port = free_ports(1)[0]
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env["KUBECONFIG"] = str(self.kubeconfig)
        env.update(self.extra_env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "appdeploy",
                "operator",
                "--health-address",
                f"{LOOPBACK}:{self.health_port}",
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        wait_for(
            self._healthy,
            READY_TIMEOUT,
            f"the operator's /healthz (log: {self.log_path})",
            ignore=(OSError,),
        )
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the operator exited with {self.process.returncode}; log: {self.log_path}\n"
                + self.log_tail()
            )
        url = f"http://{LOOPBACK}:{self.health_port}/healthz"
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=1) as r:
            return bool(r.status == 200)

    def metric(self, name: str, **labels: str) -> float:
        """The sum of the samples of one metric whose labels include ``labels`` (0 if none)."""
        assert self.metrics_port, "started without metrics=True"
        url = f"http://{LOOPBACK}:{self.metrics_port}/metrics"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=10) as response:
            text = response.read().decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the operator's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_crashed(self, timeout: float) -> None:
        """Wait until the process killed itself at a failpoint (SIGKILL, no cleanup)."""
        process = self.process
        assert process is not None
        wait_for(
            lambda: process.poll() is not None,
            timeout,
            f"the operator to hit its failpoint (log: {self.log_path})",
        )
        assert process.returncode == -9, "it died by SIGKILL at the failpoint"

    def kill(self) -> None:
        """SIGKILL, as a crash would: no cleanup of any kind."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> OperatorProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
