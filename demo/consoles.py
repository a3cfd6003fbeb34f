"""A web console for each person the demo plays, and approving a gate through one.

Each is ``appdeploy console`` in local mode with the demo cluster's admin
kubeconfig and ``--as USER --as-group GROUP`` (``ConsoleProcess.as_person``)
on a free 127.0.0.1 port, so every page is read and every decision written
as that person: RBAC authorizes them and the webhook signs them, as when
they run the console with their own kubeconfig. One process per person,
because a local-mode console has one identity; in a cluster one console in
client mode serves everyone as themselves (docs/console.md).

With ``--auto-approve`` one gate (``BY_CONSOLE``) is approved through its
approver's console over HTTP, as the browser submits the gate page's own
form (the page's CSRF token, an Origin of the console's URL), so the demo in
CI proves the console path end to end, webhook signature included.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from tests.cluster.console import ConsoleProcess
from tests.cluster.ports import free_ports
from tests.integration.console_http import PageError, Visitor, answer_of, error_of

from appdeploy.api.spec import AppDeploymentSpec
from demo.approvers import Approver, Outcome, approvers_for
from demo.leftover import forget, remember
from demo.view import Printer

BY_CONSOLE = "compliance"
"""The gate ``--auto-approve`` decides in the browser's way; the others use the CLI."""
OK = 200
RECORD = "running.json"


def release_path(namespace: str, release: str) -> str:
    return f"/releases/{namespace}/{release}"


def gate_path(namespace: str, release: str, gate: str) -> str:
    """The gate's panel: where a person reads what they attest to, and decides."""
    return f"{release_path(namespace, release)}/gates/{gate}"


def cast(spec: AppDeploymentSpec) -> list[Approver]:
    """Everyone who approves some gate in the demo, once each, in the order of the gates."""
    people: dict[str, Approver] = {}
    for step in spec.steps:
        if step.gate is not None:
            for approver in approvers_for(step.name, step.gate):
                people.setdefault(approver.user, approver)
    return list(people.values())


def describe(approver: Approver) -> str:
    """``alice@example.com (qa)``."""
    return f"{approver.user} ({', '.join(approver.groups)})" if approver.groups else approver.user


class DemoConsoles:
    """One console process per person, started and stopped together."""

    def __init__(
        self, kubeconfig: Path, directory: Path, namespace: str, people: Iterable[Approver]
    ) -> None:
        self.directory = directory
        self.record = directory / RECORD
        """Which consoles run (leftover.remember), so a killed demo's are stopped next time."""
        self.people = list(people)
        self.consoles: dict[str, ConsoleProcess] = {}
        # Chosen together, so no two consoles are handed the same port.
        ports = free_ports(len(self.people))
        for person, port in zip(self.people, ports, strict=True):
            log = directory / f"{person.user}.log"
            console = ConsoleProcess.as_person(kubeconfig, log, person.user, person.groups)
            console.args += ["-n", namespace]
            console.port = port
            self.consoles[person.user] = console

    def urls(self) -> dict[str, str]:
        """User -> the base URL of their console."""
        return {user: console.url for user, console in self.consoles.items()}

    def start(self) -> None:
        """Start them all at once (each takes a second to import), ready when each answers."""
        for console in self.consoles.values():
            console.log_path.unlink(missing_ok=True)
        try:
            with ThreadPoolExecutor(len(self.consoles) or 1) as pool:
                list(pool.map(ConsoleProcess.start, self.consoles.values()))
        finally:
            remember(self.record, self._started())

    def _started(self) -> list[tuple[str, subprocess.Popen[bytes], Path]]:
        return [
            (f"demo-console {user}", console.process, console.log_path)
            for user, console in self.consoles.items()
            if console.process is not None
        ]

    def stop(self) -> None:
        for console in self.consoles.values():
            console.stop()
        forget(self.record)

    @property
    def linked(self) -> tuple[str, str]:
        """(user, URL) of the console notifications link to: the first person's.

        The operator takes one ``--console-url`` and a local-mode console is one
        person, so a message to compliance opens the first person's console too
        (which says why they may not decide); the demo prints everyone's own.
        """
        user, console = next(iter(self.consoles.items()))
        return user, console.url

    def show(self, printer: Printer, namespace: str, release: str) -> None:
        """Who opens what: each person's console at the release's page."""
        printer.line(
            f"  web consoles, one per person, each acting as them (appdeploy console "
            f"--kubeconfig ADMIN --as USER --as-group GROUP -n {namespace}); open {release}:"
        )
        width = max(len(describe(p)) for p in self.people)
        for person in self.people:
            url = self.consoles[person.user].url + release_path(namespace, release)
            printer.line(f"     {describe(person).ljust(width)}  {url}")
        user, url = self.linked
        printer.line(
            f"  notifications link to {user}'s (operator --console-url {url}); "
            f"console logs: {self.directory}"
        )


def gate_lines(
    consoles: Mapping[str, str], namespace: str, release: str, gate: str, people: Sequence[Approver]
) -> list[str]:
    """Each approver's own console at the gate's panel (none for people without one)."""
    width = max((len(p.user) for p in people), default=0)
    path = gate_path(namespace, release, gate)
    return [
        f"{p.user.ljust(width)}  {consoles[p.user]}{path}" for p in people if p.user in consoles
    ]


class ConsoleApproval:
    """One approval through a person's console, in flight (the way RunningApproval is).

    It loads the gate page, takes the CSRF token from its ``csrf-token``
    meta tag and posts the page's form from the console's own origin; the
    console answers once the operator took the decision, with what it
    recorded, or with the API server's refusal.
    """

    def __init__(self, base: str, namespace: str, release: str, gate: str, who: Approver) -> None:
        self.gate = gate
        self.approver = who
        self.page = gate_path(namespace, release, gate)
        self.command = f"POST {base}{self.page}/approve"
        self.shown = (
            f"{who.user}'s console: {self.command} (the gate page's own form: comment, "
            f"its CSRF token, Origin {base})"
        )
        self.visitor = Visitor(base)

    def finish(self) -> Outcome:
        """Submit the form; what the console answered."""
        try:
            response = self.visitor.submit(
                self.page, f"{self.page}/approve", comment=self.approver.comment
            )
            said = error_of(response) or answer_of(response)
        except (httpx.HTTPError, PageError) as error:
            return self._outcome(False, f"the console did not answer as expected: {error}")
        finally:
            self.visitor.close()
        if response.status_code != OK:
            return self._outcome(False, f"the console answered {response.status_code}: {said}")
        return self._outcome(True, said)

    def _outcome(self, ok: bool, output: str) -> Outcome:
        return Outcome(self.gate, self.approver, self.command, ok, output)

    def stop(self) -> None:
        """Drop the connection if it still waits (the demo is ending)."""
        self.visitor.close()
