"""The local control plane behaves like real Kubernetes where appdeploy relies on it."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.cluster.loopback import non_loopback_addresses
from tests.cluster.wait import wait_for

pytestmark = pytest.mark.integration

TIMEOUT = 30.0


# --- helpers ---------------------------------------------------------------


def job(name: str, annotations: dict[str, str] | None = None) -> client.V1Job:
    """A one-pod Job; `annotations` on its pod steer KWOK (see stages/pod.yaml)."""
    return client.V1Job(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1JobSpec(
            backoff_limit=0,
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(annotations=annotations or {}),
                spec=client.V1PodSpec(
                    restart_policy="Never",
                    containers=[client.V1Container(name="main", image="example.invalid/step:1")],
                ),
            ),
        ),
    )


def job_condition(batch: Any, namespace: str, name: str, kind: str) -> bool:
    conditions = batch.read_namespaced_job_status(name, namespace).status.conditions or []
    return any(c.type == kind and c.status == "True" for c in conditions)


def job_pod(core: Any, namespace: str, job_name: str) -> Any:
    """The Job's only pod (a V1Pod), or None while the Job controller has not made it."""
    pods = core.list_namespaced_pod(namespace, label_selector=f"job-name={job_name}").items
    assert len(pods) <= 1, [p.metadata.name for p in pods]
    return pods[0] if pods else None


def job_pod_phase(core: Any, namespace: str, job_name: str) -> str | None:
    pod = job_pod(core, namespace, job_name)
    return pod.status.phase if pod else None


def gone(read: Callable[[], object]) -> bool:
    try:
        read()
    except ApiException as error:
        if error.status == 404:
            return True
        raise
    return False


@pytest.fixture
def core(api_client: Any) -> Any:
    return client.CoreV1Api(api_client)


@pytest.fixture
def batch(api_client: Any) -> Any:
    return client.BatchV1Api(api_client)


@pytest.fixture
def widget_crd(api_client: Any) -> Iterator[tuple[str, str]]:
    """A namespaced CRD with a schema; yields (group, plural)."""
    group = f"t{uuid.uuid4().hex[:8]}.test.appdeploy.dev"
    extensions = client.ApiextensionsV1Api(api_client)
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["replicas"],
                "properties": {"replicas": {"type": "integer", "minimum": 0}},
            }
        },
    }
    crd: Any = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }
    extensions.create_custom_resource_definition(crd)

    def established() -> bool:
        current: Any = extensions.read_custom_resource_definition(f"widgets.{group}")
        conditions = current.status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for(established, TIMEOUT, f"CRD widgets.{group} Established")
    yield group, "widgets"
    extensions.delete_custom_resource_definition(f"widgets.{group}")


def widget(group: str, replicas: object) -> dict[str, Any]:
    return {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"replicas": replicas},
    }


# --- API server -------------------------------------------------------------


def test_crd_is_served(api_client: Any, namespace: str, widget_crd: tuple[str, str]) -> None:
    group, plural = widget_crd
    objects = client.CustomObjectsApi(api_client)

    # Discovery of a fresh CRD's resource can lag its Established condition.
    wait_for(
        lambda: objects.create_namespaced_custom_object(
            group, "v1", namespace, plural, widget(group, 2)
        ),
        TIMEOUT,
        f"creating a {plural}.{group} object",
        ignore=(ApiException,),
    )
    stored: Any = objects.get_namespaced_custom_object(group, "v1", namespace, plural, "w")
    assert stored["spec"] == {"replicas": 2}


def test_schema_violation_is_rejected(
    api_client: Any, namespace: str, widget_crd: tuple[str, str]
) -> None:
    group, plural = widget_crd
    objects = client.CustomObjectsApi(api_client)

    with pytest.raises(ApiException) as rejected:
        objects.create_namespaced_custom_object(
            group, "v1", namespace, plural, widget(group, "three")
        )

    assert rejected.value.status == 422
    assert "spec.replicas" in str(rejected.value.body)


# --- Jobs on the KWOK node ------------------------------------------------------


def test_job_pod_completes_and_job_turns_complete(core: Any, batch: Any, namespace: str) -> None:
    batch.create_namespaced_job(namespace, job("build"))

    wait_for(
        lambda: job_condition(batch, namespace, "build", "Complete"), TIMEOUT, "Job build Complete"
    )
    terminated = job_pod(core, namespace, "build").status.container_statuses[0].state.terminated
    assert terminated.exit_code == 0


def test_job_told_to_fail_turns_failed_with_exit_code_and_message(
    core: Any, batch: Any, namespace: str
) -> None:
    batch.create_namespaced_job(
        namespace,
        job(
            "sign",
            {
                "kwok.appdeploy.dev/exit-code": "3",
                "kwok.appdeploy.dev/message": "signing identity not found",
            },
        ),
    )

    wait_for(lambda: job_condition(batch, namespace, "sign", "Failed"), TIMEOUT, "Job sign Failed")
    pod = job_pod(core, namespace, "sign")
    assert pod.status.phase == "Failed"
    terminated = pod.status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.message) == (3, "signing identity not found")


def test_termination_message_is_readable_from_the_pod(
    core: Any, batch: Any, namespace: str
) -> None:
    output = '{"buildNumber":"412"}'
    batch.create_namespaced_job(
        namespace, job("upload", {"kwok.appdeploy.dev/termination-message": output})
    )

    wait_for(
        lambda: job_condition(batch, namespace, "upload", "Complete"),
        TIMEOUT,
        "Job upload Complete",
    )
    terminated = job_pod(core, namespace, "upload").status.container_statuses[0].state.terminated
    assert terminated.message == output


def test_deleting_the_owner_garbage_collects_its_job(core: Any, batch: Any, namespace: str) -> None:
    owner = core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="owner"))
    )
    owned: Any = job("owned", {"kwok.appdeploy.dev/duration": "10m"})
    owned.metadata.owner_references = [
        client.V1OwnerReference(
            api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid
        )
    ]
    batch.create_namespaced_job(namespace, owned)
    wait_for(
        lambda: job_pod_phase(core, namespace, "owned") == "Running",
        TIMEOUT,
        "pod of Job owned Running",
    )

    core.delete_namespaced_config_map("owner", namespace)

    wait_for(
        lambda: gone(lambda: batch.read_namespaced_job("owned", namespace)),
        TIMEOUT,
        "Job owned deleted",
    )
    wait_for(lambda: job_pod(core, namespace, "owned") is None, TIMEOUT, "pod of Job owned deleted")


# --- RBAC ---------------------------------------------------------------------


def test_rbac_refuses_a_user_without_a_role_and_allows_one_with_a_role(
    api_client: Any,
    namespace: str,
    as_user: Callable[..., Any],
    kubectl: Callable[..., list[str]],
) -> None:
    alice = client.CoreV1Api(as_user("alice", groups=["qa", "release-managers"]))

    with pytest.raises(ApiException) as refused:
        alice.list_namespaced_pod(namespace)
    assert refused.value.status == 403

    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role(
        namespace,
        client.V1Role(
            metadata=client.V1ObjectMeta(name="pod-reader"),
            rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get", "list"])],
        ),
    )
    # Bound to the second group: proves both impersonated groups reach the server.
    rbac.create_namespaced_role_binding(
        namespace,
        client.V1RoleBinding(
            metadata=client.V1ObjectMeta(name="release-managers-read-pods"),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="Role", name="pod-reader"
            ),
            subjects=[
                client.RbacV1Subject(
                    kind="Group", name="release-managers", api_group="rbac.authorization.k8s.io"
                )
            ],
        ),
    )

    # RBAC is served from an informer cache, so a new binding applies shortly after.
    wait_for(
        lambda: alice.list_namespaced_pod(namespace) is not None,
        TIMEOUT,
        "alice allowed to list pods",
        ignore=(ApiException,),
    )

    def alice_can(verb: str) -> str:
        argv = kubectl(
            "auth",
            "can-i",
            verb,
            "pods",
            "-n",
            namespace,
            as_user="alice",
            groups=["qa", "release-managers"],
        )
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()

    assert (alice_can("list"), alice_can("delete")) == ("yes", "no")


# --- network rule -----------------------------------------------------------------


def test_every_address_in_the_cluster_is_loopback(
    api_client: Any, core: Any, batch: Any, namespace: str
) -> None:
    # A running pod makes the pod-IP and host-IP checks non-vacuous.
    batch.create_namespaced_job(namespace, job("probe", {"kwok.appdeploy.dev/duration": "10m"}))
    wait_for(
        lambda: job_pod_phase(core, namespace, "probe") == "Running",
        TIMEOUT,
        "pod of Job probe Running",
    )

    assert non_loopback_addresses(api_client) == []
