"""``appdeploy validate``: the pieces behind FILE:LINE: FIELD: message.

The golden tests show whole transcripts; these pin the rules one by one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appdeploy.api.problems import Problem
from appdeploy.cli.documents import Document, SyntaxProblem, duplicate_keys, parse_documents
from appdeploy.cli.envelope import envelope_problems, is_appdeployment
from appdeploy.cli.files import MissingPathError, yaml_files
from appdeploy.cli.hints import with_advice
from appdeploy.cli.json_schema import appdeployment_json_schema
from appdeploy.cli.locate import line_of, path_tokens
from appdeploy.cli.main import main
from appdeploy.cli.release_check import check_document, check_file

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello.yaml"
FIELD_NAMES = ("name", "needs", "run", "gate", "wait", "image", "approvers", "groups", "steps")
# Places in examples/hello.yaml where the property test below puts arbitrary values.
FIELD_PATHS: list[tuple[str, ...]] = [
    ("apiVersion",),
    ("kind",),
    ("metadata",),
    ("metadata", "name"),
    ("spec",),
    ("spec", "version"),
    ("spec", "steps"),
    ("spec", "params"),
    ("spec", "steps", "0", "run"),
    ("spec", "steps", "1", "needs"),
    ("spec", "steps", "1", "gate"),
    ("spec", "steps", "2", "name"),
    ("spec", "finally"),
]

RELEASE = """\
apiVersion: appdeploy.dev/v1alpha1
kind: AppDeployment
metadata: {name: r}
spec:
  app: shop
  version: "1"
  steps:
  - name: build
    run:
      image: b
      nodeSelector: {acme.dev/pool: macos}
  - {name: ship, needs: [biuld], run: {image: s}}
"""


def documents(text: str) -> list[Document]:
    parsed = parse_documents("f.yaml", text)
    assert not isinstance(parsed, SyntaxProblem), parsed
    return parsed


def test_path_tokens_split_fields_and_indices() -> None:
    assert path_tokens("spec.steps[3].needs[0]") == ["spec", "steps", 3, "needs", 0]
    assert path_tokens("spec") == ["spec"]
    assert path_tokens("") == []


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("spec.steps[1].needs[0]", 12),
        ("spec.steps[0].run.image", 10),
        ("spec.steps[0].run.nodeSelector.acme.dev/pool", 11),  # a key holding dots
        ("spec.steps[0]", 8),
        ("spec.steps[0].gate.approvers", 8),  # missing: its nearest parent
        ("spec.finally[0]", 4),
        ("kind", 2),
        ("", 1),
    ],
)
def test_a_field_path_maps_to_its_line(path: str, line: int) -> None:
    assert line_of(documents(RELEASE)[0].node, path) == line


def test_lines_count_from_the_start_of_the_file_in_every_document() -> None:
    second = documents(f"# first\n{RELEASE}---\n# second\n{RELEASE}")[1]
    assert second.index == 1
    assert line_of(second.node, "spec.steps[1].needs[0]") == 12 + 15


def test_empty_documents_are_not_documents() -> None:
    assert [d.index for d in documents(f"---\n---\n{RELEASE}---\n")] == [0]


def test_a_syntax_error_has_a_line_and_advice() -> None:
    problem = parse_documents("f.yaml", "a: [1, 2\nb: 3\n")
    assert isinstance(problem, SyntaxProblem)
    assert problem.line == 2
    assert "fix the YAML here" in problem.message


def test_keys_written_twice_are_found_with_both_lines() -> None:
    found = duplicate_keys(documents("a: 1\nb:\n  - {c: 1, c: 2}\na: 3\n")[0].node)
    assert [(d.path, d.line, d.first_line) for d in found] == [("b[0].c", 3, 3), ("a", 4, 1)]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"kind": "AppDeployment"}, True),
        ({"kind": "appdeployment"}, True),
        ({"apiVersion": "appdeploy.dev/v2", "kind": "AppDeploymnet"}, True),
        ({"apiVersion": "v1", "kind": "ConfigMap"}, False),
        (["a list"], False),
    ],
)
def test_documents_meant_as_releases_are_checked(document: object, expected: bool) -> None:
    assert is_appdeployment(document) is expected


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("shop-4-12-0", True),
        ("shop.4.12.0", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("a" * 254, False),
        ("Shop", False),
        ("-shop", False),
        ("shop_4", False),
        (412, False),
    ],
)
def test_the_name_must_be_a_dns_subdomain_that_fits_a_label(name: object, valid: bool) -> None:
    data = {"apiVersion": "appdeploy.dev/v1alpha1", "kind": "AppDeployment", "spec": {}}
    paths = [p.path for p in envelope_problems({**data, "metadata": {"name": name}})]
    assert ("metadata.name" not in paths) is valid


def test_every_envelope_problem_names_its_field_and_what_to_do() -> None:
    problems = list(envelope_problems({"kind": "Deployment", "extra": 1}))
    assert [p.path for p in problems] == ["apiVersion", "kind", "metadata", "spec", "extra"]
    for problem in problems:
        assert any(word in problem.message for word in ("add", "use", "remove")), problem


def test_generic_model_messages_get_advice_from_the_schema() -> None:
    schema = appdeployment_json_schema()
    unknown = with_advice(Problem("spec.steps[0].gate.requird", "unknown field"), schema)
    assert unknown.message == 'unknown field (did you mean "required"?)'
    listed = with_advice(Problem("spec.steps[0].dependsOn", "unknown field"), schema)
    assert "use one of: check, gate, name, needs," in listed.message
    missing = with_advice(Problem("spec.version", "required field is missing"), schema)
    assert missing.message.startswith("required field is missing; add it (the version")
    other = Problem("spec.steps[0]", "set exactly one of run, gate, wait, check (found none)")
    assert with_advice(other, schema) == other


def test_directories_are_searched_for_yaml_outside_hidden_directories(tmp_path: Path) -> None:
    for name in ("b.yaml", "a/c.yml", "a/notes.md", ".git/x.yaml", "a/.hidden/y.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    found = yaml_files([str(tmp_path), str(tmp_path / "b.yaml"), str(tmp_path / "a/notes.md")])
    relative = [path.relative_to(tmp_path).as_posix() for path in found]
    assert relative == ["a/c.yml", "b.yaml", "a/notes.md"]


def test_a_missing_path_is_a_usage_error() -> None:
    with pytest.raises(MissingPathError, match=r"no such file or directory: nope\.yaml"):
        yaml_files(["nope.yaml"])


def test_a_file_that_is_not_utf8_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    (checked,) = check_file(path)
    assert "not UTF-8 text" in str(checked.problems[0])
    assert "save it as UTF-8" in str(checked.problems[0])


def test_a_valid_release_is_returned_parsed() -> None:
    (checked,) = check_file(HELLO)
    assert checked.problems == ()
    assert checked.name == "hello-1-0-0"
    assert checked.spec is not None and [s.name for s in checked.spec.steps][-1] == "ship"


def test_other_kinds_are_skipped_unless_strict(tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert [c.skipped for c in check_file(path)] == [True]
    (strict,) = check_file(path, strict=True)
    assert str(strict.problems[0]).startswith(
        f"{path}:1: kind ConfigMap (v1): not an AppDeployment"
    )


def test_problems_are_listed_in_line_order(tmp_path: Path) -> None:
    # Envelope problems are found first, spec problems second; the reader wants lines.
    path = tmp_path / "r.yaml"
    path.write_text(RELEASE.replace("kind: AppDeployment", "kind: Deployment") + "extra: 1\n")
    (checked,) = check_file(path)
    assert [(p.line, p.path) for p in checked.problems] == [
        (2, "kind"),
        (12, "spec.steps[1].needs[0]"),
        (13, "extra"),
    ]


def test_validate_counts_problems_and_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(RELEASE + "---\n" + RELEASE.replace("name: r", "name: R"))
    assert main(["validate", "--quiet", str(HELLO), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("3 problems in 1 file: ")
    assert all(line.startswith(str(bad)) for line in out[:-1])


def test_yaml_loading_is_safe(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['true']\n")
    (checked,) = check_file(path)
    assert checked.document is None
    assert "python/object/apply" in checked.problems[0].message
    assert yaml.safe_load("a: 1") == {"a": 1}


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELD_PATHS), value=JSON_LIKE)
def test_any_value_anywhere_gives_problems_with_lines_never_a_crash(
    field: tuple[str, ...], value: object
) -> None:
    data = yaml.safe_load(HELLO.read_text())
    target = data
    for key in field[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[field[-1]] = value
    text = yaml.safe_dump(data)
    (document,) = documents(text)
    checked = check_document(document)
    assert (checked.spec is None) == bool(checked.problems)
    for problem in checked.problems:
        assert problem.line is not None and 1 <= problem.line <= len(text.splitlines())


def test_notification_channels_are_validated_with_their_fields_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "channels.yaml"
    good.write_text(
        "apiVersion: appdeploy.dev/v1alpha1\nkind: NotificationChannel\nmetadata: {name: qa}\n"
        "spec:\n  slack: {channel: '#qa', tokenSecretRef: {name: slack, key: token}}\n"
    )
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: qa ok (NotificationChannel, slack)\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: appdeploy.dev/v1alpha1\nkind: NotificationChannel\nmetadata: {name: qa}\n"
        "spec:\n  email: {smtpSecretRef: {name: smtp, key: url}, from: a@example.com}\n"
        "  teams: {urlSecretRef: {name: teams, key: url}}\n"
    )
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:4: spec: set exactly one of slack, webhook, email, pagerduty, teams" in out
    assert "(found email, teams)" in out
    bad.write_text(
        bad.read_text().replace("  teams: {urlSecretRef: {name: teams, key: url}}\n", "")
    )
    assert main(["validate", str(bad)]) == 1
    assert f"{bad}:5: spec.email.to: required field is missing" in capsys.readouterr().out
