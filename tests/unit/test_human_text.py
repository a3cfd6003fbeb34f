"""Text people write is bounded and inert; steps never run as the operator."""

from __future__ import annotations

import logging

from appdeploy.controller.logs import TextFormatter
from appdeploy.engine import Settings
from tests.unit.harness import Simulation, load_spec

OPERATOR = "system:serviceaccount:ns:appdeploy"


def waiting_at_qa() -> Simulation:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    return sim


def test_a_comment_over_one_kib_or_with_control_characters_is_refused() -> None:
    sim = waiting_at_qa()
    sim.approve("qa", "alice", comment="x" * 1025)
    assert sim.warnings()[-1].endswith("the comment is 1025 characters long; at most 1024 are kept")
    sim.approve("qa", "alice", comment="ok\x1b[2J")
    assert sim.warnings()[-1].endswith("holds the control character U+001B; write plain text")
    assert sim.step("qa").approvals == []
    sim.approve("qa", "alice", comment="line one\nline two\twith a tab " + "é" * 900)
    assert [a.user for a in sim.step("qa").approvals] == ["alice"]


def test_a_cancel_reason_is_bounded_too() -> None:
    sim = waiting_at_qa()
    sim.request("cancel", "x" * 2000)
    assert "at most 1024" in sim.warnings()[-1]
    assert sim.phase != "Cancelled"


def test_text_logs_keep_one_line_per_message() -> None:
    formatter = TextFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "appdeploy", logging.INFO, __file__, 1, "%s", ("ok\nWARNING forged line\x1b[0m",), None
    )
    line = formatter.format(record)
    assert "\n" not in line
    assert line == "INFO ok\\nWARNING forged line\\x1b[0m"


def test_steps_never_run_as_the_operators_service_account() -> None:
    spec = load_spec("linear")
    spec["serviceAccountName"] = "appdeploy"
    sim = Simulation(spec, settings=Settings(operator_username=OPERATOR))
    result = sim.reconcile()
    assert sim.phase == "Invalid"
    assert "spec.serviceAccountName: build would run as appdeploy" in sim.model.message
    assert not result.actions or all(type(a).__name__ == "PostEvent" for a in result.actions)

    spec["serviceAccountName"] = "release-runner"
    spec["steps"][0]["run"]["serviceAccountName"] = "appdeploy"
    sim = Simulation(spec, settings=Settings(operator_username=OPERATOR))
    sim.reconcile()
    assert "spec.steps[0].run.serviceAccountName: build would run as appdeploy" in (
        sim.model.message
    )


def test_the_default_account_of_the_operators_namespace_is_refused_when_the_operator_is_it() -> (
    None
):
    sim = Simulation(
        load_spec("linear"), settings=Settings(operator_username=OPERATOR[:-9] + "default")
    )
    sim.reconcile()
    assert sim.phase == "Invalid"


def test_other_namespaces_and_accounts_are_fine() -> None:
    spec = load_spec("linear")
    spec["serviceAccountName"] = "appdeploy"
    elsewhere = Simulation(
        spec, settings=Settings(operator_username="system:serviceaccount:x:appdeploy")
    )
    elsewhere.reconcile()
    assert elsewhere.phase == "Running"
    admin = Simulation(spec, settings=Settings(operator_username="kubernetes-admin"))
    admin.reconcile()
    assert admin.phase == "Running"
