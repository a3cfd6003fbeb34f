"""Cluster-wide mode: the chart's ClusterRole is enough, and it is the same rule set.

Runs the operator (no --namespace) with a token of the chart's
ServiceAccount bound by the chart's ClusterRoleBinding, and a release in a
namespace nobody prepared for it completes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helm.chart import kind_of, render
from tests.helm.installation import Installation, create_namespace, install_chart, uninstall
from tests.helm.test_least_privilege import refusals
from tests.helm.variants import with_webhook_from
from tests.integration.releases import Releases, release_spec, run_step

pytestmark = pytest.mark.integration

# Cluster-wide, kopf does not list namespaces; it still tries to watch CRDs.
KOPF_CRD_DISCOVERY = {("list", "customresourcedefinitions", "apiextensions.k8s.io", True)}


@pytest.fixture(scope="module")
def cluster_wide_install(
    cluster: Any, api_client: Any, chart_crd: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installation]:
    installation = install_chart(
        cluster, api_client, tmp_path_factory.mktemp("cluster-wide"), watched=[]
    )
    yield installation
    uninstall(cluster, api_client, installation)


def test_cluster_wide_and_namespaced_modes_grant_the_same_rules() -> None:
    cluster_role = next(
        role
        for role in kind_of(render(with_webhook_from()), "ClusterRole")
        if role["metadata"]["name"].endswith("-operator")
    )
    role = next(
        role
        for role in kind_of(render(with_webhook_from({"watchNamespaces": ["a"]})), "Role")
        if role["metadata"]["name"].endswith("-operator")
    )
    assert cluster_role["rules"] == role["rules"]


def test_a_release_in_any_namespace_completes(
    cluster_wide_install: Installation, api_client: Any, kubectl: Any
) -> None:
    namespace = create_namespace(api_client, "helm-any")
    releases = Releases(api_client, namespace, kubectl)
    releases.apply(
        "app", release_spec(run_step("build", outputs={"n": "1"}), run_step("ship", ["build"]))
    )
    done = releases.wait_for("app", phase="Succeeded")
    assert done.step("build").outputs == {"n": "1"}
    releases.wait_for_event("app", "RunSucceeded")
    log = cluster_wide_install.operator.log_path.read_text(errors="replace")
    assert refusals(log) <= KOPF_CRD_DISCOVERY, cluster_wide_install.operator.log_tail()
