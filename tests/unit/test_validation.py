"""Bad releases are refused with messages that name the field (one fixture per rule)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from appdeploy.api.problems import InvalidSpec
from appdeploy.api.validation import parse_spec
from tests.unit.harness import FIXTURES

INVALID = sorted((FIXTURES / "invalid-spec").glob("*.yaml"))
VALID = [
    path
    for path in sorted(Path(FIXTURES.parent.parent / "examples").glob("*.yaml"))
    + sorted(FIXTURES.glob("*.yaml"))
    if "kind: AppDeployment" in path.read_text()  # releases only
]


def expectation(path: Path) -> str:
    """The ``# expect: ...`` line of a fixture."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: '"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_an_invalid_release_names_the_field_and_the_problem(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(document["spec"])
    messages = [str(problem) for problem in raised.value.problems]
    assert any(expectation(path) in message for message in messages), messages


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_examples_and_fixtures_are_valid(path: Path) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        parse_spec(document["spec"])


def test_all_problems_are_reported_at_once() -> None:
    spec = {
        "app": "shop",
        "version": "1",
        "steps": [
            {"name": "a", "needs": ["x"], "run": {"image": "i", "args": ["$(params.p)"]}},
            {"name": "g", "gate": {"approvers": {}}},
        ],
    }
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(spec)
    assert [problem.path for problem in raised.value.problems] == [
        "spec.steps[0].needs[0]",
        "spec.steps[1].gate.approvers",
        "spec.steps[0].run.args[0]",
    ]


def test_a_step_cannot_need_itself() -> None:
    with pytest.raises(InvalidSpec, match=r"spec.steps\[0\].needs\[0\]: a cannot need itself"):
        parse_spec(
            {
                "app": "s",
                "version": "1",
                "steps": [{"name": "a", "needs": ["a"], "run": {"image": "i"}}],
            }
        )


def test_escaped_substitutions_are_literal() -> None:
    spec = parse_spec(
        {
            "app": "s",
            "version": "1",
            "steps": [
                {"name": "a", "run": {"image": "i", "command": ["sh", "-c", "echo $$(date)"]}}
            ],
        }
    )
    assert spec.steps[0].run is not None
    assert spec.steps[0].run.command[2] == "echo $$(date)"


def test_finally_steps_may_use_outputs_of_any_dag_step_and_the_run_phase() -> None:
    parse_spec(
        {
            "app": "s",
            "version": "1",
            "steps": [{"name": "a", "run": {"image": "i"}}, {"name": "b", "run": {"image": "i"}}],
            "finally": [
                {
                    "name": "n",
                    "run": {"image": "i", "args": ["$(steps.b.outputs.x) $(run.phase) $(run.id)"]},
                }
            ],
        }
    )


def test_only_run_steps_have_outputs() -> None:
    with pytest.raises(InvalidSpec, match="qa is a gate step; only run steps have outputs"):
        parse_spec(
            {
                "app": "s",
                "version": "1",
                "steps": [
                    {"name": "qa", "gate": {"approvers": {"groups": ["qa"]}}},
                    {
                        "name": "b",
                        "needs": ["qa"],
                        "run": {"image": "i", "args": ["$(steps.qa.outputs.x)"]},
                    },
                ],
            }
        )
