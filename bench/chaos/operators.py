"""The operator under chaos: started, SIGKILLed, armed with failpoints, started again.

Every operator process serves the admission webhooks on the same loopback
port (the webhook configurations point there) with the same TLS pair and
approval key Secret, so a restarted operator verifies what an earlier one
signed. Each process logs to a file of its own (operator-NN.log).

After each crash the operator is started again at once (as a kubelet
would, minus its backoff), and the recovery is timed on this process's
monotonic clock: restart → /healthz answers → first reconcile finished
(``appdeploy_reconciles_total`` > 0 on its /metrics). The next status write
is taken from the release watch afterwards (see follow.py).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import WaitTimeout, wait_for

from appdeploy.k8s.failpoints import ENV as FAILPOINTS

log = logging.getLogger("chaos.operator")

RECOVERY_TIMEOUT = 90.0
STUCK_DUMP_TIMEOUT = 15.0
FAILPOINT_TIMEOUT = 60.0
KILLED = -9


@dataclass
class Crash:
    """One operator death and what it took to recover from it."""

    cause: str
    """``SIGKILL`` or ``failpoint <name>``."""
    died_at: float
    restarted_at: float
    healthy_at: float | None = None
    reconciled_at: float | None = None
    status_written_at: float | None = None
    """The first status write seen after the restart (filled in from the watch)."""
    note: str = ""
    aborted: bool = False
    """Stuck without a reconcile: sent SIGABRT (thread stacks in its log)."""


@dataclass(frozen=True)
class WebhookServing:
    address: str
    cert: Path
    key: Path


class Operators:
    """The one operator process of the run, whichever incarnation it is in."""

    def __init__(
        self, kubeconfig: Path, namespace: str, webhook: WebhookServing, logs: Path
    ) -> None:
        self._kubeconfig = kubeconfig
        self._namespace = namespace
        self._webhook = webhook
        self._logs = logs
        self.current: OperatorProcess | None = None
        self.started = 0
        self.crashes: list[Crash] = []
        self.unexpected_exits: list[str] = []
        self.stuck: list[str] = []
        """Restarts after which the operator did not reconcile in time."""
        self._stopped = False

    @property
    def log_paths(self) -> list[Path]:
        return sorted(self._logs.glob("operator-*.log"))

    def _process(self, failpoint: str) -> OperatorProcess:
        self.started += 1
        return OperatorProcess(
            self._kubeconfig,
            self._logs / f"operator-{self.started:02d}.log",
            [
                *("-n", self._namespace),
                *("--approval-key-secret", f"{self._namespace}/appdeploy-approval-key"),
                *("--webhook-address", self._webhook.address),
                *("--webhook-cert", str(self._webhook.cert)),
                *("--webhook-key", str(self._webhook.key)),
                *(["-v"] if os.environ.get("CHAOS_VERBOSE") else []),
            ],
            metrics=True,
            # faulthandler: a stuck operator gets SIGABRT and dumps every thread's stack.
            env={FAILPOINTS: failpoint, "PYTHONFAULTHANDLER": "1"},
        )

    def start(self) -> OperatorProcess:
        """Start an unarmed operator and wait until it answers /healthz."""
        self.current = self._process("").start()
        return self.current

    def crash(self, failpoint: str = "") -> None:
        """SIGKILL the operator now; restart it (armed with ``failpoint``, then unarmed)."""
        self._check_alive()
        assert self.current is not None
        died = time.monotonic()
        self.current.kill()
        crash = self._restart("SIGKILL", died, failpoint)
        self._record(crash)
        if failpoint and not crash.aborted:
            self._wait_for_failpoint(crash, failpoint)

    def _record(self, crash: Crash) -> None:
        self.crashes.append(crash)
        if crash.aborted:  # once: a second stuck one is found by the next _check_alive
            self.crashes.append(self._restart("SIGABRT (it was stuck)", time.monotonic()))

    def _restart(self, cause: str, died: float, failpoint: str = "") -> Crash:
        process = self._process(failpoint)
        self.current = process
        crash = Crash(cause, died, time.monotonic())
        try:
            process.start()
        except RuntimeError:  # died before /healthz: only an armed one may do that
            if not failpoint:
                raise
            crash.note = f"armed with {failpoint}; died before /healthz answered"
            return crash
        crash.healthy_at = time.monotonic()
        try:
            wait_for(
                lambda: process.metric("appdeploy_reconciles_total") > 0,
                RECOVERY_TIMEOUT,
                "the restarted operator's first reconcile",
                ignore=(OSError,),
            )
            crash.reconciled_at = time.monotonic()
        except (WaitTimeout, OSError) as error:
            popen = process.process
            if popen is not None and popen.poll() is not None and failpoint:
                return crash  # it reached its failpoint first
            crash.note = f"no reconcile: {error}"
            self.stuck.append(f"{crash.cause}: {error} (log: {process.log_path})")
            if popen is not None and popen.poll() is None:
                crash.note += "; SIGABRT: thread stacks in its log"
                crash.aborted = True
                popen.send_signal(signal.SIGABRT)
                popen.wait(STUCK_DUMP_TIMEOUT)
        return crash

    def _wait_for_failpoint(self, after: Crash, failpoint: str) -> None:
        process = self.current
        assert process is not None and process.process is not None
        popen = process.process
        try:
            wait_for(
                lambda: popen.poll() is not None,
                FAILPOINT_TIMEOUT,
                f"the operator to reach failpoint {failpoint}",
            )
        except WaitTimeout:
            after.note = f"failpoint {failpoint} not reached in {FAILPOINT_TIMEOUT:g}s"
            log.warning(after.note)
            process.kill()
            self._record(self._restart("SIGKILL (failpoint not reached)", time.monotonic()))
            return
        died = time.monotonic()
        if popen.returncode != KILLED:
            self.unexpected_exits.append(
                f"armed with {failpoint}, exited {popen.returncode} (log: {process.log_path})"
            )
        self._record(self._restart(f"failpoint {failpoint}", died))

    def _check_alive(self) -> None:
        """An operator that died when nobody killed it is a finding: note it and restart."""
        process = self.current
        if (
            self._stopped
            or process is None
            or process.process is None
            or process.process.poll() is None
        ):
            return
        self.unexpected_exits.append(
            f"exited {process.process.returncode} on its own (log: {process.log_path})"
        )
        self._record(self._restart("exited on its own", time.monotonic()))

    def stop(self) -> None:
        """Stop the operator for good (idempotent)."""
        self._check_alive()
        self._stopped = True
        if self.current is not None:
            self.current.stop()
