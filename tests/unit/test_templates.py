"""Templates: typed params, expansion, the digest pin (docs/templates.md).

Tables for each rule, and properties for the two promises: a valid template
with valid params always expands to a valid release, and a param the
template does not declare is always refused, never ignored.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appdeploy.api.expansion import Template, expand, find_template, parse_template
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.substitutions import REFERENCE_NAME
from appdeploy.api.template_params import value_problem
from appdeploy.api.template_ref import TemplateKind, TemplateRef
from appdeploy.api.templates import ParamType, TemplateParam
from appdeploy.api.validation import parse_spec

RECIPE: dict[str, Any] = {
    "params": [
        {"name": "gitRevision", "pattern": "[0-9a-f]{7,40}"},
        {"name": "track", "enum": ["internal", "beta", "production"], "default": "internal"},
        {"name": "percent", "type": "int", "default": "1"},
        {"name": "dryRun", "type": "bool", "default": "false"},
        {"name": "fastlane", "type": "semver", "default": "2.225.0"},
    ],
    "serviceAccountName": "release-runner",
    "steps": [
        {
            "name": "build",
            "run": {
                "image": "ghcr.io/acme/builder:1",
                "args": ["--rev=$(params.gitRevision)", "--version=$(version)"],
                "env": [{"name": "FASTLANE", "value": "$(params.fastlane)"}],
            },
        },
        {"name": "qa", "needs": ["build"], "gate": {"approvers": {"groups": ["qa"]}}},
        {
            "name": "rollout",
            "needs": ["qa"],
            "run": {
                "image": "ghcr.io/acme/rollout:1",
                "args": ["$(params.track)", "$(params.percent)", "$(params.dryRun)"],
            },
        },
    ],
}
TEMPLATE = Template(
    TemplateKind.CLUSTER_RELEASE_TEMPLATE, "mobile", "", parse_template(RECIPE), RECIPE
)
REF = {"kind": "ClusterReleaseTemplate", "name": "mobile"}


def release(params: dict[str, str], **extra: Any) -> AppDeploymentSpec:
    return parse_spec(
        {"app": "shop", "version": "4.13.0", "templateRef": REF, "params": params, **extra}
    )


def problems_of(params: dict[str, str], **extra: Any) -> list[str]:
    with pytest.raises(InvalidSpec) as raised:
        expand(release(params, **extra), TEMPLATE)
    return [str(problem) for problem in raised.value.problems]


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("int", "42", ""),
        ("int", "-7", ""),
        ("int", "4.2", "is not an int"),
        ("int", "+3", "is not an int"),
        ("int", "3_000", "is not an int"),
        ("int", str(2**63), "is not an int"),
        ("bool", "true", ""),
        ("bool", "false", ""),
        ("bool", "True", "is not a bool"),
        ("bool", "yes", "is not a bool"),
        ("semver", "4.13.0", ""),
        ("semver", "1.0.0-rc.1+build.5", ""),
        ("semver", "v4.13.0", "is not a semantic version"),
        ("semver", "4.13", "is not a semantic version"),
        ("semver", "01.2.3", "is not a semantic version"),
        ("string", "anything at all", ""),
    ],
)
def test_each_type_reads_its_values(kind: str, value: str, problem: str) -> None:
    found = value_problem(TemplateParam(name="p", type=ParamType(kind)), value)
    assert found.startswith(problem) if problem else found == ""


def test_enum_and_pattern_are_enforced() -> None:
    track = TemplateParam(name="track", enum=["internal", "beta"], default="internal")
    assert value_problem(track, "beta") == ""
    assert value_problem(track, "bta") == 'is not one of internal, beta (did you mean "beta"?)'
    revision = TemplateParam(name="rev", pattern="[0-9a-f]{7}")
    assert value_problem(revision, "9f3c2e1") == ""
    # The whole value must match: a pattern is not a search.
    assert value_problem(revision, "9f3c2e1x") == "does not match the pattern [0-9a-f]{7}"


def test_expansion_fills_defaults_and_keeps_references_for_run_time() -> None:
    expanded = expand(release({"gitRevision": "9f3c2e1", "percent": "10"}), TEMPLATE)
    assert expanded.params == {
        "gitRevision": "9f3c2e1",
        "track": "internal",
        "percent": "10",
        "dryRun": "false",
        "fastlane": "2.225.0",
    }
    assert expanded.template_ref is None
    assert expanded.service_account_name == "release-runner"
    assert expanded.steps[0].run is not None
    assert expanded.steps[0].run.args == ["--rev=$(params.gitRevision)", "--version=$(version)"]
    # The expansion is a hand-written release: it validates on its own.
    assert parse_spec(expanded.to_wire()) == expanded


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"gitRevision": "9f3c2e1", "trak": "beta"},
            'spec.params.trak: unknown param "trak" (did you mean "track"?); '
            "ClusterReleaseTemplate mobile declares gitRevision, track, percent, dryRun, fastlane",
        ),
        (
            {"gitRevision": "9f3c2e1", "track": "prod"},
            'spec.params.track: "prod" is not one of internal, beta, production '
            "(ClusterReleaseTemplate mobile)",
        ),
        (
            {"gitRevision": "9f3c2e1", "dryRun": "yes"},
            'spec.params.dryRun: "yes" is not a bool: write "true" or "false" '
            "(ClusterReleaseTemplate mobile)",
        ),
        (
            {"gitRevision": "main"},
            'spec.params.gitRevision: "main" does not match the pattern [0-9a-f]{7,40} '
            "(ClusterReleaseTemplate mobile)",
        ),
        ({}, 'spec.params: missing required param "gitRevision" (ClusterReleaseTemplate mobile)'),
    ],
)
def test_a_bad_param_is_refused_naming_the_field(params: dict[str, str], expected: str) -> None:
    assert problems_of(params) == [expected]


def test_a_digest_pin_must_match_the_template() -> None:
    pinned = {**REF, "digest": TEMPLATE.digest}
    assert expand(release({"gitRevision": "9f3c2e1"}, templateRef=pinned), TEMPLATE).steps
    stale = {**REF, "digest": "sha256:" + "0" * 64}
    (problem,) = problems_of({"gitRevision": "9f3c2e1"}, templateRef=stale)
    assert problem.startswith(
        f"spec.templateRef.digest: ClusterReleaseTemplate mobile now has digest {TEMPLATE.digest}"
    )


def test_the_digest_is_of_the_spec_as_stored_and_changes_with_it() -> None:
    assert TEMPLATE.digest.startswith("sha256:") and len(TEMPLATE.digest) == 7 + 64
    reordered = dict(reversed(list(RECIPE.items())))
    assert Template(TEMPLATE.kind, "mobile", "", TEMPLATE.spec, reordered).digest == TEMPLATE.digest
    lowered = {**RECIPE, "serviceAccountName": "other"}
    assert Template(TEMPLATE.kind, "mobile", "", TEMPLATE.spec, lowered).digest != TEMPLATE.digest


@pytest.mark.parametrize("field", ["steps", "finally", "serviceAccountName", "defaults"])
def test_a_release_cannot_set_what_the_template_owns(field: str) -> None:
    value: Any = {
        "steps": [{"name": "x", "run": {"image": "x"}}],
        "finally": [{"name": "x", "run": {"image": "x"}}],
        "serviceAccountName": "cluster-admin",
        "defaults": {"timeout": "1m"},
    }[field]
    with pytest.raises(InvalidSpec) as raised:
        release({"gitRevision": "9f3c2e1"}, **{field: value})
    (problem,) = raised.value.problems
    assert problem.path == f"spec.{field}"
    assert f"remove {field} (ClusterReleaseTemplate mobile gives it)" in problem.message


def test_a_release_may_name_its_own_notify() -> None:
    notify = {"channels": ["shop-team"], "on": ["ReleaseFailed"]}
    expanded = expand(release({"gitRevision": "9f3c2e1"}, notify=notify), TEMPLATE)
    assert expanded.notify is not None and expanded.notify.channels == ["shop-team"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"params": [{"name": "n", "type": "int", "default": "x"}]},
            'spec.params[0].default: "x" is not an int',
        ),
        ({"params": [{"name": "n", "enum": ["a"], "pattern": "("}]}, "spec.params[0].pattern"),
        (
            {"params": [{"name": "n", "required": True, "default": "a"}]},
            "spec.params[0].required: a required param has no default",
        ),
        (
            {"params": [{"name": "n", "required": False}]},
            "spec.params[0].required: an optional param needs a default",
        ),
        (
            {"params": [{"name": "n", "default": "a"}, {"name": "n", "default": "b"}]},
            'spec.params[1].name: duplicate param "n"',
        ),
        (
            {"params": [], "steps": [{"name": "b", "run": {"image": "$(params.tag)"}}]},
            'spec.steps[0].run.image: $(params.tag): no param "tag"',
        ),
        ({"steps": []}, "spec.steps: List should have at least 1 item"),
    ],
)
def test_a_bad_template_is_refused_naming_its_field(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidSpec) as raised:
        parse_template({**RECIPE, **change})
    assert any(str(problem).startswith(expected) for problem in raised.value.problems), str(
        raised.value
    )


def test_a_release_template_serves_its_namespace_and_a_cluster_one_every_namespace() -> None:
    spec = TEMPLATE.spec
    mobile = Template(TemplateKind.RELEASE_TEMPLATE, "recipe", "mobile", spec, RECIPE)
    web = Template(TemplateKind.RELEASE_TEMPLATE, "recipe", "web", spec, RECIPE)
    ref = TemplateRef(kind=TemplateKind.RELEASE_TEMPLATE, name="recipe")
    assert find_template(ref, "mobile", [mobile, web]) is mobile
    assert find_template(ref, "games", [mobile, web]) == (
        "no ReleaseTemplate named recipe in namespace games"
    )
    assert str(find_template(ref, "", [mobile, web])).startswith("2 ReleaseTemplates named recipe")
    cluster = TemplateRef(kind=TemplateKind.CLUSTER_RELEASE_TEMPLATE, name="mobile")
    assert find_template(cluster, "games", [TEMPLATE]) is TEMPLATE
    assert find_template(cluster, "games", [mobile]) == "no ClusterReleaseTemplate named mobile"


HEX = st.text(alphabet="0123456789abcdef", min_size=7, max_size=40)
VALID_PARAMS = st.fixed_dictionaries(
    {"gitRevision": HEX},
    optional={
        "track": st.sampled_from(["internal", "beta", "production"]),
        "percent": st.integers(-(2**63), 2**63 - 1).map(str),
        "dryRun": st.sampled_from(["true", "false"]),
        "fastlane": st.builds(
            lambda a, b, c: f"{a}.{b}.{c}", *(st.integers(0, 999) for _ in range(3))
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(params=VALID_PARAMS)
def test_valid_params_always_expand_to_a_valid_release(params: dict[str, str]) -> None:
    expanded = expand(release(params), TEMPLATE)
    assert parse_spec(expanded.to_wire()) == expanded
    assert {**{"track": "internal"}, **params}.items() <= expanded.params.items()


DECLARED = {param.name for param in TEMPLATE.spec.params}
UNKNOWN = st.from_regex(rf"\A{REFERENCE_NAME}\Z").filter(lambda name: name not in DECLARED)


@settings(max_examples=150, deadline=None)
@given(params=VALID_PARAMS, name=UNKNOWN, value=st.text(max_size=20))
def test_an_unknown_param_is_always_refused(params: dict[str, str], name: str, value: str) -> None:
    problems = problems_of({**params, name: value})
    assert [p for p in problems if p.startswith(f'spec.params.{name}: unknown param "{name}"')]


VALUES_BY_TYPE = {
    "string": st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    "int": st.integers(-(2**63), 2**63 - 1).map(str),
    "bool": st.sampled_from(["true", "false"]),
    "semver": st.builds(lambda a, b, c: f"{a}.{b}.{c}", *(st.integers(0, 99) for _ in range(3))),
}


@st.composite
def templates_with_params(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    """A template declaring random typed params, all used by one step, and valid values."""
    names = draw(st.lists(st.from_regex(rf"\A{REFERENCE_NAME}\Z"), max_size=6, unique=True))
    declared, given = [], {}
    for name in names:
        kind = draw(st.sampled_from(sorted(VALUES_BY_TYPE)))
        declaration: dict[str, Any] = {"name": name, "type": kind}
        if draw(st.booleans()):
            declaration["default"] = draw(VALUES_BY_TYPE[kind])
        if "default" not in declaration or draw(st.booleans()):
            given[name] = draw(VALUES_BY_TYPE[kind])
        declared.append(declaration)
    step = {
        "name": "use",
        "run": {"image": "i", "args": [f"$(params.{name})" for name in names]},
    }
    return {"params": declared, "steps": [step]}, given


@settings(max_examples=150, deadline=None)
@given(drawn=templates_with_params())
def test_any_valid_template_with_valid_params_expands_to_a_valid_release(
    drawn: tuple[dict[str, Any], dict[str, str]],
) -> None:
    raw, given_params = drawn
    template = Template(TemplateKind.RELEASE_TEMPLATE, "t", "", parse_template(raw), raw)
    thin = parse_spec(
        {"app": "a", "version": "1", "templateRef": {"name": "t"}, "params": given_params}
    )
    expanded = expand(thin, template)
    assert parse_spec(expanded.to_wire()) == expanded
    assert set(expanded.params) == {param["name"] for param in raw["params"]}
