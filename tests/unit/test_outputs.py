"""Step outputs reach later steps as literals, and only outputs that keep the rules are read.

``kubelet_expand`` transcribes the kubelet's ``$(VAR)`` expansion
(k8s.io/kubernetes third_party/forked/golang/expansion/expand.go) so the
tests can say what the container finally receives; the control-plane story
in tests/integration/test_step_hardening.py shows what the API server stores.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appdeploy.api.outputs import MAX_VALUE, output_problems, parse_outputs
from appdeploy.api.substitutions import Values, substitute, substitute_for_container
from tests.unit.harness import Simulation

SECRET_ENV = {"SECRET_TOKEN": "s3cr3t", "date": "Thursday"}


def kubelet_expand(text: str, env: Mapping[str, str]) -> str:
    """What the kubelet makes of a command, arg or env value given the container's env."""
    out, cursor = [], 0
    while cursor < len(text):
        char = text[cursor]
        if char != "$" or cursor + 1 == len(text):
            out.append(char)
            cursor += 1
            continue
        following = text[cursor + 1]
        if following == "$":  # escaped operator
            out.append("$")
            cursor += 2
        elif following == "(" and (end := text.find(")", cursor + 2)) >= 0:
            name = text[cursor + 2 : end]
            out.append(env.get(name, f"$({name})"))
            cursor = end + 1
        elif following == "(":  # incomplete reference, kept
            out.append("$(")
            cursor += 2
        else:
            out.append("$" + following)
            cursor += 2
    return "".join(out)


def values(**outputs: str) -> Values:
    return Values(
        app="shop",
        version="1.0.0",
        params={"note": "costs $5"},
        run_id="shop-r1",
        run_phase=None,
        outputs={"build": outputs},
    )


def test_an_output_that_names_a_secret_reaches_the_container_literally() -> None:
    resolved = substitute_for_container(
        "--build=$(steps.build.outputs.n)", values(n="$(SECRET_TOKEN)")
    )
    assert resolved == "--build=$$(SECRET_TOKEN)"
    assert kubelet_expand(resolved, SECRET_ENV) == "--build=$(SECRET_TOKEN)"


def test_a_literal_dollar_paren_stays_escaped_for_the_kubelet() -> None:
    resolved = substitute_for_container("echo $$(date) $(app)", values())
    assert resolved == "echo $$(date) shop"
    assert kubelet_expand(resolved, SECRET_ENV) == "echo $(date) shop", "not Thursday"


def test_text_no_kubelet_reads_keeps_the_plain_form() -> None:
    # Gate descriptions and images are not expanded by the kubelet.
    assert substitute("build $(steps.build.outputs.n) $$(x)", values(n="$(A)")) == "build $(A) $(x)"


def test_params_and_other_values_are_escaped_too() -> None:
    resolved = substitute_for_container("$(params.note) $(steps.build.outputs.n)", values(n="a$$b"))
    assert resolved == "costs $$5 a$$$$b"
    assert kubelet_expand(resolved, SECRET_ENV) == "costs $5 a$$b"


@given(st.text(alphabet=st.sampled_from("$()ab_ SECRET_TOKENdate"), max_size=40))
def test_every_value_reaches_the_container_byte_for_byte(value: str) -> None:
    resolved = substitute_for_container("x=$(steps.build.outputs.n);", values(n=value))
    assert kubelet_expand(resolved, SECRET_ENV) == f"x={value};"


# --- reading outputs --------------------------------------------------------------


def test_a_json_object_of_strings_is_read_and_anything_else_noted() -> None:
    assert parse_outputs('{"buildNumber": "412"}') == ({"buildNumber": "412"}, "")
    assert parse_outputs("") == ({}, "")
    outputs, note = parse_outputs('["412"]')
    assert outputs == {} and "not a JSON object of strings" in note


@pytest.mark.parametrize(
    ("outputs", "problem"),
    [
        ({"notes": "line one\nline two"}, "notes: contains U+000A; outputs are one line of text"),
        ({"n": "\x1b[2Jfake"}, "n: contains U+001B"),
        ({"n": "abc\u202eevil"}, "n: contains U+202E"),
        ({"n": "x" * (MAX_VALUE + 1)}, f"n: {MAX_VALUE + 1} characters; an output holds at most"),
        ({"build number": "1"}, '"build number" is not an output name'),
        ({"a" * 64: "1"}, "is not an output name"),
    ],
)
def test_outputs_that_break_the_rules_are_named(outputs: dict[str, str], problem: str) -> None:
    [found] = output_problems(outputs)
    assert problem in found


def test_outputs_within_the_rules_pass() -> None:
    fine = {
        "buildNumber": "412",
        "digest": "sha256:" + "a" * 64,
        "url": "https://example.com/a?b=c&d=$(e)",
        "x" * 63: "y" * MAX_VALUE,
        "note": "ünïcode is fine",
    }
    assert output_problems(fine) == []


# --- the planner ------------------------------------------------------------------


def test_a_compromised_output_flows_downstream_escaped() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", json.dumps({"buildNumber": "$(SECRET_TOKEN)"}))
    assert sim.step("qa").message == "QA checks build $(SECRET_TOKEN)", "shown as written"
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.wake()
    assert sim.created[-1].step == "ship"
    assert sim.created[-1].spec.args == ["--build=$$(SECRET_TOKEN)"]


def test_outputs_that_break_the_rules_fail_the_step_and_are_not_recorded() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", json.dumps({"buildNumber": "412\n[INFO] approved by ceo"}))
    build = sim.step("build")
    assert build.phase == "Failed"
    assert (
        build.message
        == "outputs refused: buildNumber: contains U+000A; outputs are one line of text"
    )
    assert build.outputs == {}
    assert any("outputs refused" in warning for warning in sim.warnings())
    assert sim.step("qa").phase == "Skipped"
