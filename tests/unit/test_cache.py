"""The watch cache holds only what exists, and only what the planner reads."""

from __future__ import annotations

from typing import Any

from appdeploy.controller.cache import ReleaseCache
from appdeploy.k8s.labels import CONTROLLER_UID, DEPLOYMENT, MANAGED_BY, MANAGER, STEP

EMPTY = {"jobs": 0, "pods": 0, "keys": 0}


def job(name: str, release: str = "rel", namespace: str = "ns") -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{name}",
            "labels": {DEPLOYMENT: release, STEP: "build", MANAGED_BY: MANAGER, "x": "y"},
            "managedFields": [{"manager": "kube-controller-manager", "fieldsV1": {"f:x": {}}}],
            "ownerReferences": [
                {"uid": "release-uid", "controller": True, "kind": "AppDeployment"}
            ],
            "creationTimestamp": "2026-11-27T09:00:00Z",
        },
        "spec": {"template": {"spec": {"containers": [{"name": "step", "image": "big"}]}}},
        "status": {"conditions": [{"type": "Complete", "status": "True", "message": "m"}]},
    }


def pod(name: str, job_name: str, release: str = "rel") -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "labels": {DEPLOYMENT: release, CONTROLLER_UID: f"uid-{job_name}"},
            "ownerReferences": [{"uid": f"uid-{job_name}", "controller": True}],
        },
        "spec": {"containers": [{"name": "step"}]},
        "status": {
            "containerStatuses": [
                {"name": "step", "state": {"terminated": {"exitCode": 0, "message": "{}"}}},
                {"name": "sidecar", "state": {}},
            ]
        },
    }


def test_a_thousand_jobs_created_and_deleted_leave_nothing_behind() -> None:
    cache = ReleaseCache()
    for index in range(1000):
        release = f"rel-{index % 50}"
        cache.put_job(job(f"job-{index}", release), deleted=False)
        cache.put_pod(pod(f"pod-{index}", f"job-{index}", release), deleted=False)
        cache.put_job(job(f"job-{index}", release), deleted=False)  # MODIFIED
    assert cache.sizes() == {"jobs": 1000, "pods": 1000, "keys": 1050}
    for index in range(1000):
        release = f"rel-{index % 50}"
        cache.put_pod(pod(f"pod-{index}", f"job-{index}", release), deleted=True)
        cache.put_job(job(f"job-{index}", release), deleted=True)
    assert cache.sizes() == EMPTY
    assert cache.namespaces() == set()


def test_a_late_delete_after_forget_leaves_nothing() -> None:
    cache = ReleaseCache()
    cache.put_job(job("a"), deleted=False)
    cache.put_pod(pod("p", "a"), deleted=False)
    cache.forget(("ns", "rel"))
    assert cache.sizes() == EMPTY
    cache.put_job(job("a"), deleted=True)
    cache.put_pod(pod("p", "a"), deleted=True)
    assert cache.sizes() == EMPTY


def test_a_relist_that_lacks_an_object_drops_it() -> None:
    cache = ReleaseCache()
    for name in ("kept", "deleted-while-disconnected"):
        cache.put_job(job(name), deleted=False)
        cache.put_pod(pod(f"pod-{name}", name), deleted=False)
    cache.put_job(job("other-namespace", namespace="elsewhere"), deleted=False)
    mark = cache.mark()
    # Written after the LIST started: its event is newer than the LIST, so it stays.
    cache.put_job(job("created-during-the-list"), deleted=False)
    dropped = cache.prune("ns", {"uid-kept"}, {"uid-pod-kept"}, mark)
    assert dropped == 2
    assert set(cache.jobs(("ns", "rel"))) == {"kept", "created-during-the-list"}
    assert cache.pods("ns", "uid-deleted-while-disconnected") == []
    assert [p["metadata"]["name"] for p in cache.pods("ns", "uid-kept")] == ["pod-kept"]
    assert set(cache.jobs(("elsewhere", "rel"))) == {"other-namespace"}


def test_only_what_the_planner_reads_is_kept() -> None:
    cache = ReleaseCache()
    cache.put_job(job("a"), deleted=False)
    cache.put_pod(pod("p", "a"), deleted=False)
    kept = cache.jobs(("ns", "rel"))["a"]
    assert set(kept) == {"metadata", "status"}
    assert "managedFields" not in kept["metadata"]
    assert "x" not in kept["metadata"]["labels"]
    assert kept["metadata"]["ownerReferences"] == [{"uid": "release-uid", "controller": True}]
    assert kept["status"]["conditions"][0]["type"] == "Complete"
    (slim_pod,) = cache.pods("ns", "uid-a")
    assert slim_pod["status"]["containerStatuses"] == [
        {"name": "step", "state": {"terminated": {"exitCode": 0, "message": "{}"}}}
    ]
