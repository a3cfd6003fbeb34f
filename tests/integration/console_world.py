"""The world of a console story: a namespace, an operator that signs decisions, consoles.

The operator is the real process serving the real admission webhooks on
127.0.0.1 (``SignedWebhook``): every decision a console writes goes through
the webhook, which signs it or refuses it; nothing is trusted unsigned.
Groups qa, compliance and dev may read and annotate releases in the
namespace (``grant_approvers``). Each person gets a console of their own
(local mode, ``--as``/``--as-group``), started once and kept for the world.
Shared by the browser stories and the screenshot script.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from selenium import webdriver

from tests.cluster.clients import kubectl_argv
from tests.cluster.console import ConsoleProcess
from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import wait_for
from tests.integration.browser import chromium_missing, open_browser
from tests.integration.releases import Releases, grant_approvers
from tests.integration.signed_webhook import SignedWebhook

NAMESPACE_TIMEOUT = 30.0


@dataclass
class ConsoleWorld:
    """One namespace, its signing operator, and a console per person."""

    kubeconfig: Path
    namespace: str
    logs: Path
    releases: Releases
    operator: OperatorProcess
    consoles: dict[tuple[str, tuple[str, ...]], ConsoleProcess] = field(default_factory=dict)

    def console(self, user: str, groups: Sequence[str] = ()) -> ConsoleProcess:
        """The console acting as ``user`` in ``groups`` (started on first use)."""
        key = (user, tuple(groups))
        if key not in self.consoles:
            log = self.logs / f"console-{user}.log"
            made = ConsoleProcess.as_person(self.kubeconfig, log, user, groups)
            self.consoles[key] = made.start()
        return self.consoles[key]

    def diagnostics(self) -> str:
        """The consoles' and the operator's last log lines, for a failing story."""
        parts = [
            f"--- console as {user}:\n{_tail(c.log_text())}"
            for (user, _), c in self.consoles.items()
        ]
        parts.append(f"--- operator:\n{self.operator.log_tail()}")
        return "\n".join(parts)


@contextmanager
def console_world(
    kubeconfig: Path, api_client: Any, logs: Path, namespace: str = ""
) -> Iterator[ConsoleWorld]:
    """A fresh namespace (``namespace``, else a random console-…) with a signing operator;
    everything stopped and deleted afterwards."""
    core = client.CoreV1Api(api_client)
    if namespace:  # a previous run's may still be terminating
        wait_for(
            lambda: not _exists(core, namespace),
            NAMESPACE_TIMEOUT,
            f"namespace {namespace} to be gone",
        )
    namespace = namespace or f"console-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": namespace}})
    webhook = SignedWebhook(api_client, namespace, logs)
    operator = OperatorProcess(
        kubeconfig, logs / "operator.log", [*webhook.operator_args(), "-n", namespace]
    )
    releases = Releases(api_client, namespace, _kubectl(kubeconfig))
    world = ConsoleWorld(kubeconfig, namespace, logs, releases, operator)
    try:
        wait_for(
            lambda: core.list_namespaced_service_account(namespace).items,
            NAMESPACE_TIMEOUT,
            f"ServiceAccount {namespace}/default",
        )
        grant_approvers(api_client, namespace)
        operator.start()
        webhook.ensure_live()
        yield world
    finally:
        for console in world.consoles.values():
            console.stop()
        operator.stop()
        webhook.remove()
        core.delete_namespace(namespace)


def _exists(core: Any, namespace: str) -> bool:
    try:
        core.read_namespace(namespace)
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _kubectl(kubeconfig: Path) -> Any:
    def build(*args: str, as_user: str | None = None, groups: Sequence[str] = ()) -> list[str]:
        return kubectl_argv(kubeconfig, *args, as_user=as_user, groups=groups)

    return build


# --- pytest fixtures (imported by the story modules) -------------------------------


@pytest.fixture(scope="module")
def world(
    cluster: Any, api_client: Any, crd: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleWorld]:
    """One world per story module: namespace, signing operator, consoles."""
    with console_world(cluster.kubeconfig, api_client, tmp_path_factory.mktemp("console")) as made:
        yield made


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium from Debian; a missing browser fails the stories, never skips them."""
    missing = chromium_missing()
    if missing:
        pytest.fail(f"the browser stories need Chromium: {missing}", pytrace=False)
    with open_browser() as driver:
        yield driver


@pytest.fixture(autouse=True)
def story_diagnostics(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """After each story: a screenshot and the processes' logs (shown when it fails)."""
    yield
    if "world" in request.fixturenames:
        print(request.getfixturevalue("world").diagnostics())
    if "browser" in request.fixturenames:
        driver = request.getfixturevalue("browser")
        driver.save_screenshot(str(tmp_path / "last-page.png"))
        print(f"last page: {driver.current_url}; screenshot {tmp_path / 'last-page.png'}")
