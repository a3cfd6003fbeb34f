"""Every API call the operator makes gives up on a server that accepted and went silent."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes import client

from appdeploy.k8s.cluster import Cluster
from tests.cluster.half_open import SilentServer

TIMEOUT = (0.5, 0.5)
# Generous: the call must end (with an error) instead of hanging; how fast is not the point.
MUST_END_WITHIN = 20.0
RELEASE: dict[str, Any] = {
    "metadata": {"namespace": "ns", "name": "shop", "uid": "u", "resourceVersion": "1"}
}
JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "j"},
    "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}},
}

CALLS: dict[str, Callable[[Cluster], object]] = {
    "get_release": lambda c: c.get_release("ns", "shop"),
    "replace_status": lambda c: c.replace_status(RELEASE, {"phase": "Running"}),
    "remove_annotations": lambda c: c.remove_annotations("ns", "shop", {"a": "b"}),
    "get_job": lambda c: c.get_job("ns", "j"),
    "create_job": lambda c: c.create_job("ns", JOB),
    "delete_job": lambda c: c.delete_job("ns", "j"),
    "pods_of_job": lambda c: c.pods_of_job("ns", "j"),
    "live_uids": lambda c: c.live_uids("jobs", "ns", "a=b"),
    "post_event": lambda c: c.post_event(RELEASE, "Normal", "R", "m", datetime.now(UTC)),
    "patch_release_status": lambda c: c.patch_release_status("ns", "shop", []),
    "get_channel": lambda c: c.get_channel("ns", "qa"),
    "patch_channel_status": lambda c: c.patch_channel_status("ns", "qa", {}),
    "read_secret": lambda c: c.read_secret("ns", "slack"),
    "list_policies": lambda c: c.list_policies(),
    "list_namespaces": lambda c: c.list_namespaces(),
    "get_namespace": lambda c: c.get_namespace("ns"),
}


@pytest.fixture
def silent_cluster() -> Iterator[Cluster]:
    server = SilentServer()
    configuration = client.Configuration()
    configuration.host = server.url
    configuration.retries = False
    api = client.ApiClient(configuration)
    yield Cluster(api, timeout=TIMEOUT)
    api.close()
    server.close()


def test_every_request_the_operator_makes_is_counted_here() -> None:
    # The table above must cover Cluster's whole surface, or a new call could hang.
    public = {name for name in vars(Cluster) if not name.startswith("_")}
    assert public == set(CALLS)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_silent_api_server_fails_the_call_instead_of_hanging(
    silent_cluster: Cluster, call: str
) -> None:
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            CALLS[call](silent_cluster)
        except Exception as error:  # the timeout, whatever the client wraps it in
            outcome.append(error)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(MUST_END_WITHIN)
    assert not worker.is_alive(), f"{call} still waiting after {MUST_END_WITHIN}s"
    assert outcome and "timed out" in str(outcome[0]).lower(), outcome
