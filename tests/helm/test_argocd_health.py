"""The Argo CD health check (manifests/argocd/health.lua) against sample releases.

Argo CD runs health scripts in gopher-lua, a Lua 5.1; lupa's lua51 runtime
(a PyPI wheel with Lua built in) runs the same script here, with ``obj`` set
to the resource as Argo CD would.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from appdeploy.api.crd import UNOBSERVED_STATUS
from tests.helm.manifests import HEALTH_LUA, OUTPUT

lupa = pytest.importorskip("lupa", reason="lupa (a Lua interpreter from PyPI) is a dev dependency")


def health(obj: dict[str, Any]) -> dict[str, str]:
    """Run the script as Argo CD does: a global ``obj``, the script returns ``hs``."""
    from lupa import lua51

    runtime = lua51.LuaRuntime()
    runtime.globals().obj = runtime.table_from(obj, recursive=True)
    result = runtime.execute(HEALTH_LUA.read_text(encoding="utf-8"))
    return dict(result.items())


def release(phase: str | None, *, message: str = "", generation: int = 1, observed: int = 1) -> Any:
    status: dict[str, Any] = {"observedGeneration": observed}
    if phase is not None:
        status.update(phase=phase, message=message)
    return {
        "apiVersion": "appdeploy.dev/v1alpha1",
        "kind": "AppDeployment",
        "metadata": {"name": "shop-4-12-0", "generation": generation},
        "spec": {"app": "shop", "version": "4.12.0"},
        "status": status,
    }


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("Pending", "Progressing"),
        ("Running", "Progressing"),
        ("AwaitingApproval", "Suspended"),
        ("Succeeded", "Healthy"),
        ("Failed", "Degraded"),
        ("Invalid", "Degraded"),
        ("Cancelled", "Degraded"),
        ("SomethingNew", "Unknown"),
    ],
)
def test_each_phase_maps_to_an_argo_cd_health(phase: str, expected: str) -> None:
    assert health(release(phase))["status"] == expected


def test_the_message_says_what_the_release_waits_for() -> None:
    waiting = release("AwaitingApproval", message="qa-signoff: 1 of 2 approvals (group qa)")
    assert health(waiting) == {
        "status": "Suspended",
        "message": "AwaitingApproval: qa-signoff: 1 of 2 approvals (group qa)",
    }


def test_a_release_the_operator_has_not_seen_yet_is_progressing() -> None:
    fresh = release(None)
    del fresh["status"]
    assert health(fresh)["status"] == "Progressing"
    assert health(release(None))["status"] == "Progressing"
    # What the API server shows before the operator wrote anything (the CRD's default)
    shown = {**release(None), "status": UNOBSERVED_STATUS}
    assert health(shown) == {
        "status": "Progressing",
        "message": "Waiting for the appdeploy operator to start the run of generation 1",
    }


def test_a_new_spec_is_progressing_until_its_run_starts() -> None:
    # Argo CD just synced generation 2; the status still shows run 1's success.
    stale = release("Succeeded", generation=2, observed=1)
    assert health(stale)["status"] == "Progressing"
    assert "generation 2" in health(stale)["message"]


def test_the_configmap_snippet_embeds_this_script() -> None:
    snippet = yaml.safe_load((OUTPUT / "argocd" / "argocd-cm.yaml").read_text())
    embedded = snippet["data"]["resource.customizations.health.appdeploy.dev_AppDeployment"]
    assert embedded == HEALTH_LUA.read_text(encoding="utf-8")
