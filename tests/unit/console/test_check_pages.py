"""A release with a check step renders in the console, waiting or measuring."""

from __future__ import annotations

import json

from appdeploy.console.page_context import gate_context, release_context
from appdeploy.console.person import Person
from appdeploy.console.render import fragment
from appdeploy.engine import Settings
from tests.unit.console.stories import body_of
from tests.unit.harness import Simulation

ALICE = Person("alice", ("qa",))


def test_a_release_waiting_on_an_inconclusive_check_renders() -> None:
    check = {
        "provider": {"prometheus": {"address": "http://127.0.0.1:9090", "query": "q"}},
        "successCondition": {"min": 0.99},
        "onInconclusive": {"gate": {"approvers": {"groups": ["qa"]}}},
    }
    spec = {
        "app": "shop",
        "version": "1.0.0",
        "steps": [
            {"name": "build", "run": {"image": "builder"}},
            {"name": "health", "needs": ["build"], "check": check},
        ],
    }
    sim = Simulation(spec, settings=Settings(provider_image="img"))
    sim.reconcile()
    sim.complete("build")
    sim.complete("health", json.dumps({"note": "no data"}))
    context = release_context(body_of(sim), ALICE, sim.now, (True, ""))
    steps = {step.name: step for step in context["steps"]}
    assert steps["health"].phase == "Waiting"
    common = {"csrf": "t", "csrf_field": "csrf"}
    html = "".join(
        fragment(name, **context, **common)
        for name in ("_summary.html", "_steps.html", "_gates.html", "_actions.html")
    )
    assert "health" in html
    assert "/releases/ns/rel/gates/health" in str(context["dag"])
    [panel] = context["gates"]
    assert panel.name == "health" and panel.phase == "Waiting"
    assert panel.description.endswith("inconclusive: 1 measurement(s): 1 inconclusive")
    page = gate_context(body_of(sim), "health", ALICE, sim.now)
    assert page["panel"].approve.may and page["panel"].reject.may
    outsider = gate_context(body_of(sim), "health", Person("mallory", ("dev",)), sim.now)
    assert not outsider["panel"].approve.may
    assert "not an approver of health" in outsider["panel"].approve.reason
    buttons = fragment("_gate_buttons.html", **page, **common)
    assert "approve" in buttons.lower()
