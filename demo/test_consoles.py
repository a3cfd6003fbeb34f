"""The demo's web consoles: who gets one, what is printed, what auto-approve does, leftovers.

Pure where the demo only decides (the consoles' arguments, the lines, which
gate goes through a console); the leftover records are checked with real
processes. ``tests/integration/test_demo_handoffs.py`` runs the consoles for
real, approving compliance through carol's.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.cluster.process import start_ticks

from demo import session as session_module
from demo.approvers import Approver, Outcome
from demo.consoles import BY_CONSOLE, ConsoleApproval, DemoConsoles, cast
from demo.leftover import remember, stop_leftover
from demo.release import DemoRelease, demo_release, load_example
from demo.session import Session
from demo.view import Printer

KUBECONFIG = Path("/k/kubeconfig")
NAMESPACE, NAME = "mobile-releases", "shop-4-12-0"
URLS = {
    "alice@example.com": "http://127.0.0.1:1001",
    "bob@example.com": "http://127.0.0.1:1002",
    "carol@example.com": "http://127.0.0.1:1003",
    "dave@example.com": "http://127.0.0.1:1004",
}


@pytest.fixture(scope="module")
def release() -> DemoRelease:
    return demo_release(load_example())


def _waiting(gate: str, approved: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The release waiting at ``gate``; ``approved``: earlier gates and who approved them."""
    steps = [
        {
            "name": name,
            "type": "gate",
            "phase": "Succeeded",
            "approvals": [
                {"user": u, "groups": ["qa"], "at": "2026-11-27T09:00:00Z", "verified": True}
                for u in users
            ],
        }
        for name, users in (approved or {}).items()
    ]
    steps.append({"name": gate, "type": "gate", "phase": "Waiting", "message": "m"})
    status = {"run": 1, "phase": "AwaitingApproval", "message": "m", "steps": steps}
    return {"metadata": {"name": NAME, "generation": 1}, "status": status}


def test_one_console_per_person_acting_as_them_and_notifications_link_to_the_first(
    release: DemoRelease, tmp_path: Path
) -> None:
    consoles = DemoConsoles(KUBECONFIG, tmp_path, NAMESPACE, cast(release.spec))
    assert list(consoles.consoles) == list(URLS)
    carol = consoles.consoles["carol@example.com"]
    assert carol.args == [
        "--kubeconfig", str(KUBECONFIG), "--as", "carol@example.com",
        "--as-group", "compliance", "-n", NAMESPACE,
    ]  # fmt: skip
    assert carol.log_path == tmp_path / "carol@example.com.log"
    urls = consoles.urls()
    assert len(set(urls.values())) == 4 and all(
        u.startswith("http://127.0.0.1:") for u in urls.values()
    )
    assert consoles.linked == ("alice@example.com", urls["alice@example.com"])
    assert consoles.record == tmp_path / "running.json"

    out = io.StringIO()
    consoles.show(Printer(out, colour=False), NAMESPACE, NAME)
    text = out.getvalue()
    assert f"dave@example.com (release-managers)  {urls['dave@example.com']}/releases/" in text
    assert f"{urls['bob@example.com']}/releases/{NAMESPACE}/{NAME}\n" in text
    assert f"--console-url {urls['alice@example.com']}" in text


def test_at_a_gate_each_approver_is_shown_their_own_consoles_page_beside_the_command(
    release: DemoRelease,
) -> None:
    out = io.StringIO()
    session = Session(
        release, "uid", KUBECONFIG, False, Printer(out, colour=False), Path("log"), consoles=URLS
    )
    session.on_release(_waiting("qa-signoff"))
    text = out.getvalue()
    assert "kubectl appdeploy approve shop-4-12-0 qa-signoff" in text
    page = f"/releases/{NAMESPACE}/{NAME}/gates/qa-signoff"
    assert f"     alice@example.com  http://127.0.0.1:1001{page}\n" in text
    assert f"     bob@example.com    http://127.0.0.1:1002{page}\n" in text
    assert "carol" not in text.split("Or in the browser")[1]


class _Started:
    """Stands in for an approval in flight (command or console): which one the session chose."""

    started: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self, kind: str, gate: str, who: Approver, where: str) -> None:
        self.gate, self.approver, self.command, self.shown = gate, who, kind, f"{kind} {where}"
        _Started.started.append((kind, gate, who.user))

    def finish(self) -> Outcome:
        return Outcome(self.gate, self.approver, self.command, True, "approved")

    def stop(self) -> None:
        pass


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str]]]:
    _Started.started = []
    monkeypatch.setattr(
        session_module,
        "RunningApproval",
        lambda kubeconfig, ns, name, gate, who: _Started("cli", gate, who, str(kubeconfig)),
    )
    monkeypatch.setattr(
        session_module,
        "ConsoleApproval",
        lambda url, ns, name, gate, who: _Started("console", gate, who, url),
    )
    yield _Started.started


def _auto(release: DemoRelease, consoles: dict[str, str]) -> tuple[Session, io.StringIO]:
    out = io.StringIO()
    session = Session(
        release, "uid", KUBECONFIG, True, Printer(out, colour=False), Path("log"), consoles=consoles
    )
    session.report = lambda name, result: None
    return session, out


def test_auto_approve_decides_compliance_in_carols_console_and_other_gates_with_the_cli(
    release: DemoRelease, started: list[tuple[str, str, str]]
) -> None:
    assert BY_CONSOLE == "compliance"
    session, out = _auto(release, URLS)
    qa = {"qa-signoff": ["alice@example.com", "bob@example.com"]}
    session.on_release(_waiting("compliance", qa))
    assert started == [("console", "compliance", "carol@example.com")]
    assert "approving as carol@example.com in their web console" in out.getvalue()
    assert "console http://127.0.0.1:1003" in out.getvalue()
    session.on_release(_waiting("go-full-rollout", {**qa, "compliance": ["carol@example.com"]}))
    assert started[-1] == ("cli", "go-full-rollout", "dave@example.com")


def test_without_a_console_for_the_approver_auto_approve_uses_the_cli(
    release: DemoRelease, started: list[tuple[str, str, str]]
) -> None:
    session, out = _auto(release, {})
    session.on_release(_waiting("compliance", {"qa-signoff": ["alice@example.com"]}))
    assert started == [("cli", "compliance", "carol@example.com")]
    assert "web console" not in out.getvalue()


def test_a_console_that_does_not_answer_fails_the_approval_saying_so() -> None:
    carol = Approver("carol@example.com", ("compliance",), "ok")
    # Port 1 on loopback: nobody listens, the connection is refused at once.
    outcome = ConsoleApproval("http://127.0.0.1:1", NAMESPACE, NAME, "compliance", carol).finish()
    assert not outcome.ok
    assert outcome.output.startswith("the console did not answer as expected: ")
    assert outcome.command == (
        f"POST http://127.0.0.1:1/releases/{NAMESPACE}/{NAME}/gates/compliance/approve"
    )


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "300"], start_new_session=True)


def test_a_killed_demos_processes_are_stopped_by_the_next_and_only_those(tmp_path: Path) -> None:
    # Given two processes a killed demo recorded, and one whose pid a record names
    # with another start time (a recycled pid: not ours)
    ours = [_sleeper(), _sleeper()]
    stranger = _sleeper()
    record = tmp_path / "running.json"
    remember(record, [(f"console {i}", p, tmp_path / f"{i}.log") for i, p in enumerate(ours)])
    saved = json.loads(record.read_text())
    recycled = tmp_path / "recycled.json"
    ticks = start_ticks(stranger.pid)
    assert ticks is not None
    recycled.write_text(json.dumps([{"pid": stranger.pid, "start_ticks": ticks + 1}]))
    try:
        # When the next demo looks
        assert [entry["pid"] for entry in saved] == [p.pid for p in ours]
        assert stop_leftover(record) == [p.pid for p in ours]
        assert stop_leftover(recycled) == []
        # Then ours are gone, the record too, and the stranger lives
        assert all(p.wait(10) is not None for p in ours)
        assert not record.exists() and stop_leftover(record) == []
        assert stranger.poll() is None
    finally:
        for process in [*ours, stranger]:
            process.kill()
            process.wait()


def test_the_operator_record_of_a_demo_before_the_consoles_is_still_read(tmp_path: Path) -> None:
    operator = _sleeper()
    try:
        record = tmp_path / "demo-operator.json"
        record.write_text(
            json.dumps({"pid": operator.pid, "start_ticks": start_ticks(operator.pid)})
        )
        assert stop_leftover(record) == [operator.pid]
        assert operator.wait(10) is not None
    finally:
        operator.kill()
        operator.wait()
