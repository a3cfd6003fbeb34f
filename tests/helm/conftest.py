"""Fixtures for the chart tests.

Render tests need only the helm binary (tests/helm/chart.py builds it once
from its Go module).
Cluster tests (marked ``integration``) install the chart's CRD, RBAC and
ServiceAccount on the local control plane and run the operator process with
a token of that ServiceAccount: the operator has exactly the chart's rights.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.cluster.clients import kubectl_argv
from tests.cluster.crd import install_crd
from tests.helm.chart import CHART
from tests.helm.installation import (
    POLICY_KINDS,
    Installation,
    bind,
    create_namespace,
    install_chart,
    uninstall,
)
from tests.integration.releases import Releases

CRD_FILE = CHART / "crds" / "appdeployments.appdeploy.dev.yaml"


@pytest.fixture(scope="session")
def chart_crd(cluster: Any, api_client: Any) -> None:
    """The chart's copy of the CRD, applied for real and Established."""
    install_crd(api_client, yaml.safe_load(CRD_FILE.read_text()))


@pytest.fixture(scope="session")
def namespaced_install(
    cluster: Any, api_client: Any, chart_crd: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installation]:
    """Namespaced mode: the operator watches one namespace with the chart's Role there."""
    watched = create_namespace(api_client, "helm-rel")
    installation = install_chart(
        cluster,
        api_client,
        tmp_path_factory.mktemp("namespaced"),
        watched=[watched],
        extra_kinds=POLICY_KINDS,
        user_roles=True,
    )
    yield installation
    uninstall(cluster, api_client, installation)


@pytest.fixture(scope="session")
def watched_releases(namespaced_install: Installation, api_client: Any, cluster: Any) -> Releases:
    """Releases in the watched namespace, where group qa has the chart's appdeploy-approve."""
    namespace = namespaced_install.watched[0]
    bind(api_client, namespace, "appdeploy-approve", {"kind": "Group", "name": "qa"})
    return Releases(
        api_client, namespace, lambda *args, **kw: kubectl_argv(cluster.kubeconfig, *args, **kw)
    )
