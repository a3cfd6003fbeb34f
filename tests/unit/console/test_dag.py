"""The DAG drawing: layered left to right, coloured by phase, every text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from appdeploy.api.stored import read_release
from appdeploy.console.dag import columns_of, render_dag
from appdeploy.console.steps_view import StepView, step_views
from tests.unit.console.stories import body_of, gates_waiting
from tests.unit.harness import Simulation

SVG = "{http://www.w3.org/2000/svg}"


def views(sim: Simulation) -> list[StepView]:
    spec, status = read_release(body_of(sim))
    assert spec is not None
    return step_views(spec, status, sim.now)


def test_a_step_sits_one_column_after_its_deepest_need_and_finally_comes_last() -> None:
    sim = Simulation.of("parallel")
    sim.reconcile()
    steps = views(sim)
    columns = columns_of(steps)
    for step in steps:
        if step.is_finally:
            assert columns[step.name] == max(columns.values())
        for need in step.needs:
            assert columns[step.name] > columns[need], (step.name, need)


def test_nodes_carry_their_phase_and_link_where_a_person_acts() -> None:
    steps = views(gates_waiting())
    svg = ET.fromstring(render_dag(steps, lambda s: f"/x/{s.name}"))
    nodes = {
        link.get("data-step"): (link.get("href"), link.find(f"{SVG}g").get("data-phase"))
        for link in svg.iter(f"{SVG}a")
    }
    assert nodes["qa"] == ("/x/qa", "Waiting")
    assert nodes["ship"] == ("/x/ship", "Pending")


def test_attacker_text_in_names_messages_and_links_is_escaped() -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    step = StepView(
        name="build", type="run", phase="Failed", needs=(), is_finally=False, attempts=1,
        duration="", started="", finished="", message=hostile, outputs=(), job="",
        detail=hostile,
    )  # fmt: skip
    markup = str(render_dag([step], lambda s: f"/x?{hostile}"))
    svg = ET.fromstring(markup)  # still well-formed: nothing broke out of an attribute
    assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter("img"))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    [link] = svg.iter(f"{SVG}a")
    assert link.get("href") == f"/x?{hostile}"
