"""``appdeploy graph``: stages, markers and the three renderings agree on one model."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from appdeploy.api.validation import parse_spec
from appdeploy.cli.graph_diagrams import render_dot, render_mermaid
from appdeploy.cli.graph_model import ReleaseGraph, readable_duration, release_graph
from appdeploy.cli.graph_text import render_text
from appdeploy.cli.release_check import check_file

ROOT = Path(__file__).resolve().parents[2]


def graph_of(path: str) -> ReleaseGraph:
    (checked,) = check_file(ROOT / path)
    assert checked.spec is not None, checked.problems
    return release_graph(checked.name, checked.spec)


def spec_graph(steps: list[dict[str, object]], **extra: object) -> ReleaseGraph:
    return release_graph("r", parse_spec({"app": "a", "version": "1", "steps": steps, **extra}))


def test_a_step_runs_one_stage_after_its_latest_need() -> None:
    graph = graph_of("examples/shop-ios-android.yaml")
    stages = {node.name: node.stage for node in graph.steps}
    assert stages["build-ios"] == stages["build-android"] == 1
    assert stages["security-scan"] == 2
    assert stages["compliance"] == stages["qa-signoff"] + 1 == 5
    assert [node.stage for node in graph.steps] == sorted(node.stage for node in graph.steps)


def test_markers_say_who_approves_and_how_long_things_take() -> None:
    graph = graph_of("tests/fixtures/gates.yaml")
    markers = {node.name: node.marker for node in graph.steps}
    assert (
        markers["qa"] == "gate: 2 of system:serviceaccount:ci:release-bot or group qa, within 24h"
    )
    assert markers["compliance"] == (
        "gate: 1 of groups compliance, qa, within 24h, not by approvers of qa"
    )
    assert markers["quiet-period"].endswith("within 2h, approves itself at the deadline")
    assert markers["ship"] == "run"
    linear = {node.name: node.marker for node in graph_of("tests/fixtures/linear.yaml").steps}
    assert linear["soak"] == "wait 1h"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=24), "24h"),
        (timedelta(hours=72), "72h"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=7), "7d"),
        (timedelta(days=8, hours=1), "193h"),
    ],
)
def test_durations_read_in_hours_below_a_week(value: timedelta, text: str) -> None:
    assert readable_duration(value) == text


def test_finally_steps_follow_the_last_steps_of_the_dag() -> None:
    graph = spec_graph(
        [{"name": "a", "run": {"image": "i"}}, {"name": "b", "run": {"image": "i"}}],
        **{
            "finally": [
                {"name": "n", "run": {"image": "i"}},
                {"name": "m", "needs": ["n"], "run": {"image": "i"}},
            ]
        },
    )
    assert [node.name for node in graph.last_steps()] == ["a", "b"]
    assert [node.name for node in graph.first_finally()] == ["n"]
    mermaid = render_mermaid(graph)
    assert "  s_a -.->|always| s_n\n  s_b -.->|always| s_n\n" in mermaid
    assert "    s_n --> s_m\n" in mermaid
    assert '  "a" -> "n" [style=dashed, label="always"];' in render_dot(graph)
    assert render_text(graph).endswith("  n  [run]\n  m  [run]  needs n\n")


def test_every_need_is_an_edge_in_every_rendering() -> None:
    graph = graph_of("examples/shop-ios-android.yaml")
    needs = {(need, node.name) for node in graph.steps for need in node.needs}
    mermaid = set(re.findall(r"^  s_(\S+) --> s_(\S+)$", render_mermaid(graph), re.MULTILINE))
    dot = set(re.findall(r'^  "(\S+)" -> "(\S+)";$', render_dot(graph), re.MULTILINE))
    assert {(a.replace("-", "_"), b.replace("-", "_")) for a, b in needs} == mermaid
    assert needs == dot


def test_mermaid_ids_cannot_collide_with_keywords() -> None:
    graph = spec_graph([{"name": "end", "run": {"image": "i"}}])
    assert 's_end["end"]' in render_mermaid(graph)


def test_quotes_are_escaped_in_labels() -> None:
    gate = {"approvers": {"users": ['o"brien']}}
    graph = spec_graph([{"name": "g", "gate": gate}])
    assert "o#quot;brien" in render_mermaid(graph)
    assert 'o\\"brien' in render_dot(graph)


def test_shapes_follow_step_types() -> None:
    graph = graph_of("tests/fixtures/linear.yaml")
    mermaid = render_mermaid(graph)
    assert 's_qa{{"qa<br/>gate: 2 of group qa, within 72h"}}' in mermaid
    assert 's_soak("soak<br/>wait 1h")' in mermaid
    dot = render_dot(graph)
    assert '"qa" [label="qa\\ngate: 2 of group qa, within 72h", shape=hexagon];' in dot
    assert '"soak" [label="soak\\nwait 1h", shape=box, style="rounded"];' in dot


def test_renderings_are_deterministic() -> None:
    for render in (render_text, render_mermaid, render_dot):
        first = render(graph_of("examples/shop-ios-android.yaml"))
        assert first == render(graph_of("examples/shop-ios-android.yaml"))
        assert first.isascii()
