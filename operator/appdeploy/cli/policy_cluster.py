"""What ``policy explain`` reads from a cluster: a release, namespace labels, the ReleasePolicies.

Each object read is dumped to YAML and checked as a document of a file
(``release_check.check_document``), so the cluster form is judged and
printed by exactly the code of the offline form. Everything is read as the
caller (kubeconfig, ``--as``): RBAC decides what they may see, and a refusal
says which object was refused and which flag gives it instead.

Imported only when explain needs a cluster: the offline form loads no
kubernetes client.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from appdeploy.api.policy import POLICY_PLURAL
from appdeploy.api.policy_crd import POLICY_CRD_NAME
from appdeploy.cli.documents import parse_documents
from appdeploy.cli.kube import Connection, connect
from appdeploy.cli.policy_command import ClusterReadError
from appdeploy.cli.policy_judge import LoadedPolicies, policies_in
from appdeploy.cli.release_actions import api_reason
from appdeploy.cli.release_check import Checked, check_document
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION

FORBIDDEN = 403
NOT_FOUND = 404


class ClusterReader:
    """The cluster as the caller sees it, for one explain."""

    def __init__(self, args: argparse.Namespace) -> None:
        try:
            self.connection: Connection = connect(args)
        except config.ConfigException as error:
            raise ClusterReadError(f"cannot connect to the cluster: {error}") from None
        self.custom = client.CustomObjectsApi(self.connection.api_client)
        self.core = client.CoreV1Api(self.connection.api_client)

    @property
    def namespace(self) -> str:
        """``-n``, else the context's namespace, else ``default`` (as for kubectl)."""
        return self.connection.namespace

    def release(self, name: str) -> list[Checked]:
        """AppDeployment ``name`` of the namespace, checked as a document."""
        where = f"AppDeployment {name} in namespace {self.namespace}"
        with _reading(f"read {where}", missing=f"no {where} (check the name and -n)"):
            body: Any = self.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, name
            )
        return _checked(f"appdeployment {self.namespace}/{name}", body)

    def policies(self) -> LoadedPolicies:
        """Every ReleasePolicy of the cluster (cluster-scoped), checked as documents."""
        with _reading(
            f"list ReleasePolicies ({POLICY_CRD_NAME})",
            missing=f"the cluster serves no ReleasePolicies ({POLICY_CRD_NAME} is not "
            "installed); explain with policies from files: --policies DIR",
            forbidden=f"ask a cluster admin for list on {POLICY_PLURAL}, or explain with the "
            "policies from git: --policies DIR",
        ):
            listed: Any = self.custom.list_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL)
        items = sorted(listed.get("items") or [], key=lambda item: item["metadata"]["name"])
        return policies_in(
            checked
            for item in items
            for checked in _checked(f"releasepolicy {item['metadata']['name']}", item)
        )

    def labels(self, namespace: str) -> dict[str, str]:
        """The labels of Namespace ``namespace``, as the policies' namespaceSelector sees them."""
        with _reading(
            f"read the labels of namespace {namespace}",
            missing=f"no namespace {namespace} (check -n)",
            forbidden="give them with --namespace-labels K=V,...",
        ):
            found = self.core.read_namespace(namespace)
        return dict((found.metadata.labels if found.metadata else None) or {})


@contextmanager
def _reading(what: str, missing: str, forbidden: str = "") -> Iterator[None]:
    """Turn the API server's refusal, or its silence, into a ClusterReadError saying ``what``."""
    try:
        yield
    except ApiException as error:
        if error.status == NOT_FOUND:
            raise ClusterReadError(missing) from None
        advice = f"; {forbidden}" if forbidden and error.status == FORBIDDEN else ""
        raise ClusterReadError(f"cannot {what}: {api_reason(error)}{advice}") from None
    except HTTPError as error:
        raise ClusterReadError(f"cannot {what}: the API server did not answer ({error})") from None


def _checked(label: str, body: dict[str, Any]) -> list[Checked]:
    """An object read from the API server, as the offline pipeline checks a file's document."""
    metadata = body.get("metadata") or {}
    metadata.pop("managedFields", None)  # noise in a document no one reads
    parsed = parse_documents(label, yaml.safe_dump(body, sort_keys=False))
    if not isinstance(parsed, list):  # safe_dump output always parses
        raise ClusterReadError(f"{label}: {parsed.message}")
    return [check_document(document) for document in parsed]
