"""What the operator's watches deliver, on the real control plane.

The API server filters Job and pod watches by appdeploy's label, so objects
without it never reach the operator (``appdeploy_watch_events_total`` by
``managed``); the watch cache holds only what exists (``appdeploy_cache_objects``)
and a re-list prunes what was deleted while nobody was watching.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from prometheus_client.parser import text_string_to_metric_families

from appdeploy.controller.cache import ReleaseCache
from appdeploy.controller.resync import resync_once
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.labels import (
    DEPLOYMENT,
    GROUP,
    MANAGED_BY,
    MANAGED_SELECTOR,
    MANAGER,
    PLURAL,
    VERSION,
)
from tests.cluster.operator import OperatorProcess
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for

MANAGED = {MANAGED_BY: MANAGER, DEPLOYMENT: "no-such-release"}
WAITING_RELEASE = {
    "apiVersion": f"{GROUP}/{VERSION}",
    "kind": "AppDeployment",
    "metadata": {"name": "holder"},
    "spec": {
        "app": "shop",
        "version": "1",
        "steps": [{"name": "soak", "wait": {"duration": "1h"}}],
    },
}
TIMEOUT = 60.0


class Metrics:
    """The operator's /metrics, read at each call."""

    def __init__(self, port: int) -> None:
        self.url = f"http://{LOOPBACK}:{port}/metrics"

    def value(self, name: str, **labels: str) -> float:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url, timeout=5) as response:
            text = response.read().decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )


@pytest.fixture
def watching(
    cluster: Any, crd: None, namespace: str, tmp_path: Path
) -> Iterator[tuple[OperatorProcess, Metrics]]:
    """An operator of its own, watching only ``namespace``, with metrics on."""
    port = free_ports(1)[0]
    args = ["-n", namespace, "--metrics-address", f"{LOOPBACK}:{port}"]
    with OperatorProcess(cluster.kubeconfig, tmp_path / "operator.log", args) as process:
        yield process, Metrics(port)


def suspended_job(name: str, labels: dict[str, str]) -> dict[str, Any]:
    """A Job that creates no pod (suspended), so thousands cost the cluster little."""
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "suspend": True,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "step", "image": "example.invalid/x:1"}],
                }
            },
        },
    }


def plain_pod(name: str, labels: dict[str, str]) -> dict[str, Any]:
    """A pod that KWOK runs to success at once."""
    return {
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {"kwok.appdeploy.dev/duration": "0s"},
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "step", "image": "example.invalid/x:1"}],
        },
    }


def test_jobs_and_pods_without_appdeploys_label_never_reach_the_operator(
    api_client: Any, namespace: str, watching: tuple[OperatorProcess, Metrics]
) -> None:
    _, metrics = watching
    batch, core = client.BatchV1Api(api_client), client.CoreV1Api(api_client)
    # Given objects that are not the operator's, created first ...
    batch.create_namespaced_job(namespace, suspended_job("foreign", {"app": "other"}))
    core.create_namespaced_pod(namespace, plain_pod("foreign", {"app": "other"}))
    # ... and then managed ones, whose events come later in each watch stream.
    batch.create_namespaced_job(namespace, suspended_job("managed", MANAGED))
    core.create_namespaced_pod(namespace, plain_pod("managed", MANAGED))
    wait_for(
        lambda: core.read_namespaced_pod("managed", namespace).status.phase == "Succeeded",
        TIMEOUT,
        "the managed pod to succeed",
    )
    # When the operator received the managed objects' events (the pod's up to Succeeded) ...
    wait_for(
        lambda: (
            metrics.value("appdeploy_watch_events_total", resource="jobs", managed="true") >= 1
            and metrics.value("appdeploy_watch_events_total", resource="pods", managed="true") >= 3
        ),
        TIMEOUT,
        "the operator to receive the managed Job and pod events",
    )
    assert core.read_namespaced_pod("foreign", namespace).status.phase == "Succeeded"
    # Then it received none of the foreign ones: the API server filtered them out.
    for resource in ("jobs", "pods"):
        assert (
            metrics.value("appdeploy_watch_events_total", resource=resource, managed="false") == 0
        )


def test_a_thousand_jobs_created_and_deleted_leave_the_cache_empty(
    api_client: Any, namespace: str, watching: tuple[OperatorProcess, Metrics]
) -> None:
    _, metrics = watching
    batch = client.BatchV1Api(api_client)
    # A release that exists (the cache forgets the Jobs of a release that is gone),
    # waiting, so the operator creates no Jobs of its own.
    client.CustomObjectsApi(api_client).create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, WAITING_RELEASE
    )
    labels = {**MANAGED, DEPLOYMENT: WAITING_RELEASE["metadata"]["name"]}
    count = 1000
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: batch.create_namespaced_job(
                    namespace, suspended_job(f"job-{i:04d}", labels)
                ),
                range(count),
            )
        )
    wait_for(
        lambda: metrics.value("appdeploy_cache_objects", kind="jobs") == count,
        120,
        f"the cache to hold {count} Jobs",
    )
    batch.delete_collection_namespaced_job(
        namespace, label_selector=MANAGED_SELECTOR, propagation_policy="Background"
    )
    wait_for(
        lambda: metrics.value("appdeploy_cache_objects") == 0,  # jobs, pods and keys
        120,
        "the cache to be empty again",
    )


def test_a_relist_drops_what_was_deleted_while_nobody_watched(
    api_client: Any, namespace: str
) -> None:
    batch = client.BatchV1Api(api_client)
    cluster = Cluster(api_client)
    cache = ReleaseCache()
    for name in ("live", "ghost"):
        job = batch.create_namespaced_job(namespace, suspended_job(name, MANAGED))
        cache.put_job(api_client.sanitize_for_serialization(job), deleted=False)
    # Deleted without the cache hearing of it, as during a watch outage.
    batch.delete_namespaced_job("ghost", namespace, propagation_policy="Background")
    wait_for(
        lambda: [j.metadata.name for j in batch.list_namespaced_job(namespace).items] == ["live"],
        TIMEOUT,
        "the ghost Job to be gone",
    )
    assert resync_once(cache, cluster) == 1
    assert set(cache.jobs((namespace, "no-such-release"))) == {"live"}
