"""A five-line release through the real door and the real operator, in this slice.

Given the webhook and the operator on the control plane, when a release that
names a template not in the cluster is applied with kubectl, then it is
admitted with a warning naming the template (GitOps may apply the release
first), and the operator, which does not resolve templates at run start yet,
sets it Invalid with the reason and creates no Job: never an empty run that
"succeeds".
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from appdeploy.engine.planner import TEMPLATES_NOT_RESOLVED
from tests.integration.admission_setup import admission, releases
from tests.integration.releases import Releases

__all__ = ["admission", "releases"]  # fixtures used by the story below

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "templates" / "shop-4-13-0.yaml"


def test_a_release_whose_template_is_missing_is_admitted_with_a_warning_and_runs_nothing(
    releases: Releases, kubectl: Callable[..., list[str]], tmp_path: Path
) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["metadata"]["namespace"] = releases.namespace
    manifest = tmp_path / "shop-4-13-0.yaml"
    manifest.write_text(yaml.safe_dump(document))
    applied = subprocess.run(
        kubectl("apply", "-f", str(manifest)), capture_output=True, text=True, check=False
    )
    assert applied.returncode == 0, applied.stderr
    assert (
        "Warning: spec.templateRef: no ClusterReleaseTemplate mobile-store-release yet"
        in applied.stderr
    )
    status = releases.wait_for("shop-4-13-0", phase="Invalid")
    assert TEMPLATES_NOT_RESOLVED in status.message
    assert releases.jobs("shop-4-13-0") == []
