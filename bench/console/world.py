"""The console bench's releases: many AppDeployments waiting on their QA gate.

No operator runs (the list needs none), yet every release carries the status
the operator would have written: the real planner computes it
(tests/unit/harness.py's ``Simulation``: both builds and the UI tests
succeeded, the qa gate Waiting with its deadline and conditions), and the
bench writes it to the status subresource. So the list's "Waiting on me"
asks the engine's ``check_decision`` about every one of those gates, as it
would on a busy cluster. The person is alice in group qa, who may decide
them all, with the approvers' Role the integration tests grant.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from tests.integration.releases import grant_approvers
from tests.unit.harness import Simulation

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from bench import kube
from bench.shape import CREATE_CONNECTIONS, release_body, release_name

NAMESPACE = "bench-console"
USER = "alice"
GROUPS = ("qa",)
MERGE_PATCH = "application/merge-patch+json"


def waiting_status(name: str, now: datetime) -> dict[str, Any]:
    """The status the operator writes once the builds and UI tests passed: qa Waiting."""
    simulation = Simulation(release_body(name)["spec"], name=name, now=now)
    simulation.reconcile()
    simulation.complete("build-ios", json.dumps({"buildNumber": "412"}))
    simulation.complete("build-android", json.dumps({"buildNumber": "1412"}))
    simulation.complete("ui-tests")
    assert simulation.status is not None
    return simulation.status


def prepare(api: Any, releases: int) -> list[str]:
    """The namespace, the approvers' RBAC and ``releases`` releases with status; their names."""
    kube.install_crd(api)
    kube.create_namespace(api, NAMESPACE)
    grant_approvers(api, NAMESPACE)
    custom = client.CustomObjectsApi(api)
    now = datetime.now(UTC).replace(microsecond=0)
    names = [release_name(index) for index in range(releases)]

    def create(name: str) -> None:
        custom.create_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, release_body(name)
        )
        custom.patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            NAMESPACE,
            PLURAL,
            name,
            {"status": waiting_status(name, now)},
            _content_type=MERGE_PATCH,
        )

    with ThreadPoolExecutor(CREATE_CONNECTIONS, thread_name_prefix="create") as pool:
        list(pool.map(create, names))
    return names
