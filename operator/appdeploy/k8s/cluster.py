"""The API calls the operator makes, as plain-dict functions over the kubernetes client.

Every call the operator makes goes through here, so the set of verbs (and
the RBAC they need) is visible in one file: AppDeployments get / update
status / patch / patch status (the outbox); Jobs get / list / create / delete;
pods list; Events create; NotificationChannels get / patch status; Secrets get
(only those a channel names, never listed); ReleasePolicies and namespaces list
(and get a namespace), to know the policies in force.

Every call carries a connect and a read timeout: without one, a half-open
connection (an API server that accepted and then vanished behind a dead load
balancer) blocks the worker thread forever, and nothing else notices.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.channels import CHANNEL_PLURAL
from appdeploy.api.policy import POLICY_PLURAL
from appdeploy.k8s.labels import API_VERSION, CONTROLLER_UID, GROUP, KIND, PLURAL, VERSION

CONFLICT, NOT_FOUND, ALREADY_EXISTS, UNPROCESSABLE = 409, 404, 409, 422
COMPONENT = "appdeploy-operator"
DEFAULT_TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds of every request unless the operator is told otherwise."""


MESSAGE_LIMIT = 512


def api_message(error: ApiException) -> str:
    """The API server's own explanation (the Status ``message``), shortened; else the reason."""
    try:
        message = str(json.loads(error.body or "").get("message") or "")
    except (ValueError, AttributeError):
        message = ""
    message = message or f"{error.status} {error.reason}"
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 1] + "…"


class Cluster:
    """Typed-enough access to the resources appdeploy reads and writes."""

    def __init__(
        self,
        api_client: client.ApiClient,
        on_request: Callable[[str, str], None] = lambda verb, resource: None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.api_client = api_client
        self.on_request = on_request
        """Called with (verb, resource) before every API request, for metrics."""
        self.timeout = timeout
        """(connect, read) seconds of each request; a read timeout counts from the last byte."""
        self.custom = client.CustomObjectsApi(api_client)
        self.batch = client.BatchV1Api(api_client)
        self.core = client.CoreV1Api(api_client)

    def _plain(self, obj: Any) -> dict[str, Any]:
        plain = self.api_client.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]
        return cast(dict[str, Any], plain)

    # --- AppDeployments --------------------------------------------------------
    def get_release(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The AppDeployment, or None if it is gone."""
        return self._get_custom(PLURAL, namespace, name)

    def _get_custom(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        self.on_request("get", plural)
        try:
            body = self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, name, _request_timeout=self.timeout
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise
        return cast(dict[str, Any], body)

    def replace_status(self, release: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        """Write status with optimistic concurrency; ApiException 409 if the object moved on."""
        self.on_request("update", "appdeployments/status")
        metadata = release["metadata"]
        body = {**release, "status": status}
        updated = self.custom.replace_namespaced_custom_object_status(
            GROUP,
            VERSION,
            metadata["namespace"],
            PLURAL,
            metadata["name"],
            body,
            _request_timeout=self.timeout,
        )
        return cast(dict[str, Any], updated)

    def remove_annotations(self, namespace: str, name: str, expected: Mapping[str, str]) -> bool:
        """Remove annotations still holding the values planned on; False if one changed.

        A JSON patch ``test`` per key: a decision re-written since it was read
        (its author changed their mind) is not removed unseen, nothing is, and
        the next pass reads it. A missing object is fine.
        """
        if not expected:
            return True
        self.on_request("patch", "appdeployments")
        operations: list[dict[str, Any]] = []
        for key, value in expected.items():
            path = "/metadata/annotations/" + key.replace("~", "~0").replace("/", "~1")
            operations += [
                {"op": "test", "path": path, "value": value},
                {"op": "remove", "path": path},
            ]
        try:
            self.custom.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                namespace,
                PLURAL,
                name,
                operations,
                _content_type="application/json-patch+json",
                _request_timeout=self.timeout,
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return True
            if error.status == UNPROCESSABLE:  # a test failed, or the key is already gone
                return False
            raise
        return True

    def patch_release_status(
        self, namespace: str, name: str, operations: list[dict[str, Any]]
    ) -> bool:
        """Apply a JSON patch to the status subresource; False if a ``test`` failed or it is gone.

        The outbox's claims and records are JSON patches whose ``test`` ops
        pin the record they change, so two workers (or a worker and the
        planner) never both win the same record, and no resourceVersion is
        needed: records of other channels move on independently.
        """
        self.on_request("patch", "appdeployments/status")
        try:
            self.custom.patch_namespaced_custom_object_status(
                GROUP,
                VERSION,
                namespace,
                PLURAL,
                name,
                operations,
                _content_type="application/json-patch+json",
                _request_timeout=self.timeout,
            )
        except ApiException as error:
            if error.status in (NOT_FOUND, UNPROCESSABLE):  # gone, or a test failed
                return False
            raise
        return True

    # --- NotificationChannels and their Secrets -----------------------------------
    def get_channel(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A NotificationChannel, or None if it does not exist."""
        return self._get_custom(CHANNEL_PLURAL, namespace, name)

    def patch_channel_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        """Merge ``status`` into a channel's status subresource; a deleted channel is fine."""
        self.on_request("patch", f"{CHANNEL_PLURAL}/status")
        try:
            self.custom.patch_namespaced_custom_object_status(
                GROUP,
                VERSION,
                namespace,
                CHANNEL_PLURAL,
                name,
                {"status": status},
                _content_type="application/merge-patch+json",
                _request_timeout=self.timeout,
            )
        except ApiException as error:
            if error.status != NOT_FOUND:
                raise

    def read_secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """A Secret's data, decoded; None if it does not exist. Never log what it returns."""
        self.on_request("get", "secrets")
        try:
            secret = self.core.read_namespaced_secret(
                name, namespace, _request_timeout=self.timeout
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise
        data = secret.data or {}
        return {
            key: base64.b64decode(value).decode(errors="replace") for key, value in data.items()
        }

    # --- ReleasePolicies and namespaces (cluster-scoped, read only) ---------------
    def list_policies(self) -> list[dict[str, Any]]:
        """Every ReleasePolicy; none when their CRD is not installed (none can exist)."""
        self.on_request("list", POLICY_PLURAL)
        try:
            listed = self.custom.list_cluster_custom_object(
                GROUP, VERSION, POLICY_PLURAL, _request_timeout=self.timeout
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return []
            raise
        return list(cast(dict[str, Any], listed).get("items") or [])

    def list_namespaces(self) -> list[dict[str, Any]]:
        """Every namespace (for its labels)."""
        self.on_request("list", "namespaces")
        listed = self.core.list_namespace(_request_timeout=self.timeout)
        return [self._plain(item) for item in listed.items]

    def get_namespace(self, name: str) -> dict[str, Any] | None:
        """A namespace, or None if it does not exist."""
        self.on_request("get", "namespaces")
        try:
            return self._plain(self.core.read_namespace(name, _request_timeout=self.timeout))
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise

    # --- Jobs and pods ------------------------------------------------------------
    def get_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A Job, or None if it does not exist."""
        self.on_request("get", "jobs")
        try:
            return self._plain(
                self.batch.read_namespaced_job(name, namespace, _request_timeout=self.timeout)
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return None
            raise

    def create_job(self, namespace: str, manifest: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create a Job; on AlreadyExists return the existing one. (job, created)."""
        self.on_request("create", "jobs")
        try:
            job = self.batch.create_namespaced_job(
                namespace,
                manifest,  # type: ignore[arg-type]
                _request_timeout=self.timeout,
            )
            return self._plain(job), True
        except ApiException as error:
            if error.status != ALREADY_EXISTS:
                raise
        existing = self.get_job(namespace, manifest["metadata"]["name"])
        if existing is None:  # deleted in between: let the next pass decide again
            raise RuntimeError(f"Job {manifest['metadata']['name']} vanished while adopting it")
        return existing, False

    def delete_job(self, namespace: str, name: str) -> None:
        """Delete a Job and (in the background) its pods; NotFound is fine."""
        self.on_request("delete", "jobs")
        try:
            self.batch.delete_namespaced_job(
                name, namespace, propagation_policy="Background", _request_timeout=self.timeout
            )
        except ApiException as error:
            if error.status != NOT_FOUND:
                raise

    def pods_of_job(self, namespace: str, job_uid: str) -> list[dict[str, Any]]:
        """The pods labelled with a Job's controller uid (ownership is checked by the caller)."""
        self.on_request("list", "pods")
        pods = self.core.list_namespaced_pod(
            namespace,
            label_selector=f"{CONTROLLER_UID}={job_uid}",
            _request_timeout=self.timeout,
        )
        return [self._plain(pod) for pod in pods.items]

    def live_uids(self, resource: str, namespace: str, label_selector: str) -> set[str]:
        """Uids of the ``jobs`` or ``pods`` matching a selector, from a fresh LIST."""
        self.on_request("list", resource)
        list_objects: Callable[..., Any] = (
            self.batch.list_namespaced_job if resource == "jobs" else self.core.list_namespaced_pod
        )
        # Raw JSON: only uids are read, and building client models for every item is slow.
        response = list_objects(
            namespace,
            label_selector=label_selector,
            _preload_content=False,
            _request_timeout=self.timeout,
        )
        items = json.loads(response.data).get("items") or []
        return {str(item["metadata"]["uid"]) for item in items}

    # --- Events -------------------------------------------------------------------
    def post_event(
        self, release: dict[str, Any], type_: str, reason: str, message: str, now: datetime
    ) -> None:
        """A core/v1 Event about the AppDeployment."""
        self.on_request("create", "events")
        metadata = release["metadata"]
        stamp = now.astimezone(UTC)
        self.core.create_namespaced_event(  # the client accepts plain dicts as bodies
            metadata["namespace"],
            {  # type: ignore[arg-type]
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "generateName": f"{metadata['name']}.",
                    "namespace": metadata["namespace"],
                },
                "involvedObject": {
                    "apiVersion": API_VERSION,
                    "kind": KIND,
                    "name": metadata["name"],
                    "namespace": metadata["namespace"],
                    "uid": metadata.get("uid"),
                    "resourceVersion": metadata.get("resourceVersion"),
                },
                "type": type_,
                "reason": reason,
                "message": message[:1024],
                "source": {"component": COMPONENT},
                "reportingComponent": COMPONENT,
                "reportingInstance": COMPONENT,
                "firstTimestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "lastTimestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "count": 1,
            },
            _request_timeout=self.timeout,
        )
