"""``validate --policies`` and ``policy explain`` beyond the goldens: labels, escaping, exits."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from appdeploy.cli.main import main
from appdeploy.cli.policy_judge import namespace_labels

POLICY = """\
apiVersion: appdeploy.dev/v1alpha1
kind: ReleasePolicy
metadata: {name: store}
spec:
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: store-releases}}
  protect: {secretNames: ["asc\\e[2J"]}
  requireGates: [{name: compliance}]
  enforcement: ENFORCEMENT
"""
RELEASE = """\
apiVersion: appdeploy.dev/v1alpha1
kind: AppDeployment
metadata: {name: shop-1, namespace: store-releases}
spec:
  app: shop
  version: "1"
  steps:
  - name: upload
    run: {image: i, envFrom: [{secretRef: {name: "asc\\e[2J"}}]}
"""


def files(tmp_path: Path, enforcement: str = "Deny") -> tuple[str, str]:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "store.yaml").write_text(POLICY.replace("ENFORCEMENT", enforcement))
    (tmp_path / "release.yaml").write_text(RELEASE)
    return str(tmp_path / "policies"), str(tmp_path / "release.yaml")


def test_namespace_labels_parse_and_refuse_what_is_not_key_value() -> None:
    assert namespace_labels("a=1, b=,c=x=y") == {"a": "1", "b": "", "c": "x=y"}
    assert namespace_labels("") == {}
    with pytest.raises(argparse.ArgumentTypeError, match="'tier' is not KEY=VALUE"):
        namespace_labels("tier")


def test_the_namespace_name_label_comes_from_metadata_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies, release = files(tmp_path)
    assert main(["validate", "--policies", policies, release]) == 1
    out = capsys.readouterr().out
    assert "upload uses Secret" in out and "needs gate compliance upstream" in out
    given = ["--namespace-labels", "kubernetes.io/metadata.name=elsewhere"]
    assert main(["validate", "--policies", policies, *given, release]) == 0


@pytest.mark.parametrize("command", ["validate", "explain"])
def test_names_from_the_release_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    policies, release = files(tmp_path)
    argv = (
        ["validate", "--policies", policies, release]
        if command == "validate"
        else ["policy", "explain", "-f", release, "--policies", policies]
    )
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err
    assert "Secret asc\\x1b[2J" in captured.out


@pytest.mark.parametrize("enforcement", ["Warn", "Audit"])
def test_warn_and_audit_print_warnings_and_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], enforcement: str
) -> None:
    policies, release = files(tmp_path, enforcement)
    assert main(["validate", "--policies", policies, release]) == 0
    captured = capsys.readouterr()
    assert ": warning: spec.steps: ReleasePolicy store requires a gate step" in captured.err
    assert f"[protect, {enforcement}]" in captured.err
    assert "shop-1 ok" in captured.out
    assert main(["policy", "explain", "-f", release, "--policies", policies]) == 0
    assert "=> allowed with 2 warning(s)" in capsys.readouterr().out


def test_policies_that_hold_no_policy_are_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, release = files(tmp_path)
    hello = str(Path(__file__).resolve().parents[2] / "examples" / "hello.yaml")
    assert main(["validate", "--policies", hello, release]) == 0
    assert f"note: no ReleasePolicy in {hello}" in capsys.readouterr().err
