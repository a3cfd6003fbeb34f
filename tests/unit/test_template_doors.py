"""Where a release that names a template meets the cluster, in this slice (docs/templates.md).

The CRDs are generated like the others; the validate-spec webhook expands a
release whose template it is given and refuses a bad param naming the field,
and admits one whose template is not known yet with a warning; the operator
does not resolve templates at run start yet, so it runs nothing (Invalid)
rather than an empty DAG that would "succeed".
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kopf
import pytest
import yaml

from appdeploy.admission.configurations import VALIDATE_SPEC
from appdeploy.admission.webhooks import UNPROCESSABLE, register_admission
from appdeploy.api.crd import render_yaml
from appdeploy.api.expansion import Template, parse_template
from appdeploy.api.status import Phase
from appdeploy.api.template_crd import (
    CLUSTER_TEMPLATE_CRD_NAME,
    TEMPLATE_CRD_NAME,
    build_template_crd,
)
from appdeploy.api.template_ref import TemplateKind, TemplateRef
from appdeploy.api.templates import CLUSTER_TEMPLATE_KIND, TEMPLATE_KIND
from appdeploy.cli.release_check import check_files
from appdeploy.engine import Observed, Release, plan
from appdeploy.engine.planner import TEMPLATES_NOT_RESOLVED

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "templates"
RECIPE_FILE = EXAMPLES / "mobile-store-release.yaml"


def recipe() -> Template:
    document = yaml.safe_load(RECIPE_FILE.read_text())
    spec = parse_template(document["spec"])
    return Template(
        TemplateKind.CLUSTER_RELEASE_TEMPLATE, "mobile-store-release", "", spec, document["spec"]
    )


def thin(params: dict[str, str]) -> dict[str, Any]:
    return {
        "app": "shop",
        "version": "4.13.0",
        "templateRef": {"kind": "ClusterReleaseTemplate", "name": "mobile-store-release"},
        "params": params,
    }


GOOD = {"gitRevision": "3b7d1a9", "releaseNotesUrl": "https://example.com/notes"}


@pytest.mark.parametrize(
    ("kind", "name", "scope", "short"),
    [
        (TEMPLATE_KIND, TEMPLATE_CRD_NAME, "Namespaced", "rtpl"),
        (CLUSTER_TEMPLATE_KIND, CLUSTER_TEMPLATE_CRD_NAME, "Cluster", "crtpl"),
    ],
)
def test_the_template_crds_share_one_spec_and_differ_in_scope(
    kind: str, name: str, scope: str, short: str
) -> None:
    crd = build_template_crd(kind)
    assert crd["metadata"]["name"] == name
    assert crd["spec"]["scope"] == scope
    assert crd["spec"]["names"]["shortNames"] == [short]
    (version,) = crd["spec"]["versions"]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["required"] == ["steps"]
    assert spec["properties"]["params"]["x-kubernetes-list-map-keys"] == ["name"]
    param = spec["properties"]["params"]["items"]["properties"]
    assert param["type"]["enum"] == ["string", "int", "bool", "semver"]
    for copy in ("crds", "helm/appdeploy/crds", "manifests"):
        text = (ROOT / copy / f"{name}.yaml").read_text(encoding="utf-8")
        assert text == render_yaml(crd), f"{copy} is stale: run make generate"


def test_the_example_releases_expand_offline_to_valid_releases() -> None:
    checked = [c for c in check_files(sorted(EXAMPLES.glob("*.yaml"))) if not c.skipped]
    assert [c.problems for c in checked] == [(), (), ()]
    releases = {c.name: c for c in checked if c.spec is not None}
    assert sorted(releases) == ["shop-4-13-0", "wallet-2-1-0"]
    for name, checked_release in releases.items():
        assert checked_release.expanded_from is not None
        assert str(checked_release.expanded_from) == "ClusterReleaseTemplate mobile-store-release"
        spec = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())["spec"]
        assert len(spec) <= 5, f"{name} is a five-line release"
    wallet = releases["wallet-2-1-0"].spec
    assert wallet is not None and wallet.params["uiTestSuite"] == "full"


def admit(spec: Any, templates: list[Template], warnings: list[str]) -> str:
    """The handler's refusal, or "" when it admits the release."""
    registry = kopf.OperatorRegistry()

    def lookup(namespace: str, ref: TemplateRef) -> Template | None:
        return next((t for t in templates if t.kind == ref.kind and t.name == ref.name), None)

    register_admission(registry, signing_key=lambda: b"k" * 32, templates=lookup)
    (handler,) = [h for h in registry._webhooks.get_all_handlers() if h.id == VALIDATE_SPEC]
    body = kopf.Body({"metadata": {"name": "shop-4-13-0", "namespace": "mobile"}, "spec": spec})
    try:
        handler.fn(body=body, old=None, warnings=warnings)
    except kopf.AdmissionError as refused:
        assert refused.code == UNPROCESSABLE
        return str(refused)
    return ""


def test_the_door_refuses_a_bad_param_naming_the_field() -> None:
    warnings: list[str] = []
    refusal = admit(thin({**GOOD, "uiTestSuite": "smok"}), [recipe()], warnings)
    assert refusal == (
        'invalid AppDeployment: spec.params.uiTestSuite: "smok" is not one of smoke, full '
        '(did you mean "smoke"?) (ClusterReleaseTemplate mobile-store-release)'
    )


def test_the_door_admits_a_fitting_release_and_says_it_will_not_run_yet() -> None:
    warnings: list[str] = []
    assert admit(thin(GOOD), [recipe()], warnings) == ""
    assert warnings == [
        "spec.templateRef: this operator does not run releases that name a template yet: it "
        "sets phase Invalid; apply the output of appdeploy render instead"
    ]


def test_a_release_whose_template_is_not_there_yet_is_admitted_with_a_warning() -> None:
    warnings: list[str] = []
    assert admit(thin({"anything": "goes until the template exists"}), [], warnings) == ""
    assert warnings[0] == (
        "spec.templateRef: no ClusterReleaseTemplate mobile-store-release yet; its params are "
        "checked when it exists (appdeploy validate --templates checks them offline)"
    )


def test_the_operator_runs_nothing_for_a_release_that_names_a_template() -> None:
    release = Release("shop-4-13-0", "mobile", 1, thin(GOOD))
    planned = plan(release, Observed(), datetime(2026, 12, 1, tzinfo=UTC))
    assert planned.status.phase is Phase.INVALID
    assert TEMPLATES_NOT_RESOLVED in planned.status.message
    assert not [a for a in planned.actions if type(a).__name__ == "CreateJob"]
