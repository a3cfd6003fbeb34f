"""Operators on one namespace that serve the signed webhooks and may be armed with failpoints.

Each start is a new process (``APPDEPLOY_FAILPOINTS`` makes it SIGKILL itself
at that point); the webhook's port, certificate and key Secret stay the same
(``SignedWebhook``), so every decision before and after a crash is signed by
the real webhook, never trusted unsigned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.cluster.operator import OperatorProcess
from tests.integration.signed_webhook import SignedWebhook

CRASH_TIMEOUT = 60.0


class CrashableOperator:
    """Starts operators on one namespace; each may be armed with failpoints."""

    def __init__(
        self,
        kubeconfig: Path,
        namespace: str,
        logs: Path,
        webhook: SignedWebhook,
        args: Sequence[str] = (),
    ) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.logs = logs
        self.webhook = webhook
        self.args = list(args)
        """More ``appdeploy operator`` flags, for every start."""
        self.current: OperatorProcess | None = None
        self.started = 0

    def start(self, failpoints: str = "", *, live: bool = True) -> OperatorProcess:
        """Start an operator; ``live``: wait until the API server calls its webhooks."""
        self.started += 1
        self.current = OperatorProcess(
            self.kubeconfig,
            self.logs / f"operator-{self.started}.log",
            [*self.webhook.operator_args(), "-n", self.namespace, *self.args],
            # Set even when empty: a failpoint in the test's own environment must not leak in.
            env={"APPDEPLOY_FAILPOINTS": failpoints},
        ).start()
        if live:
            self.webhook.ensure_live()
        return self.current

    def wait_until_crashed(self) -> None:
        assert self.current is not None
        self.current.wait_until_crashed(CRASH_TIMEOUT)

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
