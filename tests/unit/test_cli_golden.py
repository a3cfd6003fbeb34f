"""The offline commands' output, compared with golden files in tests/golden/.

Each golden file holds the command line, the exit code, stdout and stderr,
so a change in wording or layout shows up as a readable diff in review.
After an intended change, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_cli_golden.py
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from appdeploy.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
INPUTS = GOLDEN / "inputs"
INVALID_SPEC = ROOT / "tests" / "fixtures" / "invalid-spec"
INVALID_POLICY = ROOT / "tests" / "golden" / "inputs" / "policies-invalid" / "bad.yaml"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    golden: str
    argv: tuple[str, ...]


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


VALIDATE_CASES = [
    Case("validate/hello", ("validate", "examples/hello.yaml")),
    Case("validate/shop", ("validate", "examples/shop-ios-android.yaml")),
    Case("validate/examples-directory", ("validate", "examples")),
    Case("validate/examples-quiet", ("validate", "--quiet", "examples")),
    Case("validate/missing-path", ("validate", "examples/hello.yaml", "examples/nope.yaml")),
    Case(
        "validate/strict-other-kinds",
        ("validate", "--strict", relative(INPUTS / "not-an-appdeployment.yaml")),
    ),
    *(
        Case(f"validate/{path.stem}", ("validate", relative(path)))
        for path in sorted(INPUTS.glob("*.yaml"))
    ),
    *(
        Case(f"validate/invalid-spec-{path.stem}", ("validate", relative(path)))
        for path in sorted(INVALID_SPEC.glob("*.yaml"))
    ),
]

POLICIES = relative(INPUTS / "policies")
PRODUCTION = ("--namespace-labels", "appdeploy.dev/tier=production")
SHOP = "examples/shop-ios-android.yaml"
POLICY_CASES = [
    Case("policy/validate-meets", ("validate", "--policies", "examples", *PRODUCTION, SHOP)),
    Case("policy/validate-denied", ("validate", "--policies", POLICIES, *PRODUCTION, SHOP)),
    Case("policy/validate-not-covered", ("validate", "--policies", POLICIES, SHOP)),
    Case(
        "policy/validate-invalid-policy",
        ("validate", "--policies", relative(INVALID_POLICY), SHOP),
    ),
    Case(
        "policy/explain-denied",
        ("policy", "explain", "-f", SHOP, "--policies", POLICIES, *PRODUCTION),
    ),
    Case(
        "policy/explain-staging",
        (
            "policy",
            "explain",
            "-f",
            SHOP,
            "--policies",
            POLICIES,
            "--namespace-labels",
            "appdeploy.dev/tier=staging",
        ),
    ),
    Case(
        "policy/explain-missing-policies", ("policy", "explain", "-f", SHOP, "--policies", "nope/")
    ),
    Case(
        "policy/explain-bad-labels",
        ("policy", "explain", "-f", SHOP, "--policies", POLICIES, "--namespace-labels", "tier"),
    ),
]

TEMPLATES = "examples/templates"
THIN = "examples/templates/shop-4-13-0.yaml"
TEMPLATE_INPUTS = INPUTS / "templates"
TEMPLATE_CASES = [
    Case("templates/validate-expanded", ("validate", "--templates", TEMPLATES, THIN)),
    Case("templates/validate-no-template", ("validate", THIN)),
    Case(
        "templates/validate-bad-params",
        ("validate", "--templates", TEMPLATES, relative(TEMPLATE_INPUTS / "bad-params.yaml")),
    ),
    Case(
        "templates/validate-stale-pin",
        ("validate", "--templates", TEMPLATES, relative(TEMPLATE_INPUTS / "stale-pin.yaml")),
    ),
    Case("templates/validate-bad-template", ("validate", relative(TEMPLATE_INPUTS))),
    Case(
        "templates/validate-policies",
        ("validate", "--templates", TEMPLATES, "--policies", POLICIES, *PRODUCTION, THIN),
    ),
    Case("templates/graph-template", ("graph", "examples/templates/mobile-store-release.yaml")),
    Case(
        "templates/graph-release",
        ("graph", "examples/templates/wallet-2-1-0.yaml", "--templates", TEMPLATES),
    ),
    Case("templates/render-shop", ("render", THIN, "--templates", TEMPLATES)),
    Case("templates/render-plain-release", ("render", "examples/hello.yaml")),
    Case(
        "templates/render-bad-params",
        ("render", relative(TEMPLATE_INPUTS / "bad-params.yaml"), "--templates", TEMPLATES),
    ),
    Case("templates/render-missing-templates", ("render", THIN, "--templates", "nope/")),
]

GRAPH_CASES = [
    *(
        Case(f"graph/{name}-{form}", ("graph", file, "--format", form))
        for name, file in (
            ("hello", "examples/hello.yaml"),
            ("shop", "examples/shop-ios-android.yaml"),
            ("linear", "tests/fixtures/linear.yaml"),
        )
        for form in ("text", "mermaid", "dot")
    ),
    Case("graph/gates-text", ("graph", "tests/fixtures/gates.yaml")),
    Case("graph/parallel-text", ("graph", "tests/fixtures/parallel.yaml")),
    Case("graph/several-releases", ("graph", relative(INPUTS / "multi-document.yaml"))),
    Case(
        "graph/chosen-release",
        ("graph", relative(INPUTS / "multi-document.yaml"), "--name", "shop-ios-4-12-0"),
    ),
    Case(
        "graph/chosen-release-invalid",
        ("graph", relative(INPUTS / "multi-document.yaml"), "--name", "shop-android-4-12-0"),
    ),
    Case("graph/unknown-name", ("graph", "examples/hello.yaml", "--name", "helo-1-0-0")),
    Case("graph/invalid-release", ("graph", relative(INVALID_SPEC / "unknown-need.yaml"))),
    Case("graph/syntax-error", ("graph", relative(INPUTS / "syntax-error.yaml"))),
    Case("graph/no-appdeployment", ("graph", relative(INPUTS / "not-an-appdeployment.yaml"))),
    Case("graph/missing-file", ("graph", "examples/nope.yaml")),
]


def run_cli(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    """The transcript of one command: what a user would see, and the exit code."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse usage errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return (
        f"$ appdeploy {' '.join(argv)}\nexit: {code}\n"
        f"--- stdout\n{captured.out}--- stderr\n{captured.err}"
    )


def check_golden(name: str, transcript: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(transcript, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {relative(path)}; create it with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert transcript == expected, (
        f"output differs from {relative(path)}; if the change is intended, "
        "regenerate with UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths in the output are the ones on the command line: keep them relative.
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")


@pytest.mark.parametrize(
    "case",
    VALIDATE_CASES + GRAPH_CASES + POLICY_CASES + TEMPLATE_CASES,
    ids=lambda case: case.golden,
)
def test_output_matches_the_golden_file(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    check_golden(case.golden, run_cli(case.argv, capsys))


@pytest.mark.parametrize("path", sorted(INVALID_SPEC.glob("*.yaml")), ids=lambda p: p.stem)
def test_validate_prints_the_fixture_expectation_with_file_and_line(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect = path.read_text().splitlines()[0].removeprefix("# expect: ")
    assert main(["validate", relative(path)]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if expect in line)
    location, _, rest = line.partition(": ")
    file, _, number = location.rpartition(":")
    assert file == relative(path)
    assert rest.startswith(expect.split(": ")[0])
    # The line named is the one that holds the field (or its nearest parent).
    assert 1 < int(number) <= len(path.read_text().splitlines())


def test_every_golden_file_belongs_to_a_case() -> None:
    names = {case.golden for case in VALIDATE_CASES + GRAPH_CASES + POLICY_CASES + TEMPLATE_CASES}
    on_disk = {
        relative(path).removeprefix("tests/golden/").removesuffix(".txt")
        for path in GOLDEN.rglob("*.txt")
    }
    assert on_disk <= names, f"stale golden files: {sorted(on_disk - names)}"
