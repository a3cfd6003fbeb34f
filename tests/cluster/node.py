"""API-level bootstrap: the fake node, and the conditions that mean "ready"."""

from __future__ import annotations

from typing import Any

from tests.cluster.apihttp import Http, HttpError
from tests.cluster.components import KWOK_NODE_ANNOTATION, NODE_NAME


def node_manifest(name: str = NODE_NAME) -> dict[str, Any]:
    key, value = KWOK_NODE_ANNOTATION
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {key: value},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        # No taints: every pod may land here, as on a one-node dev cluster.
        # Status (addresses 127.0.0.1, capacity, conditions) comes from KWOK's
        # node Stage, like a kubelet would report it.
        "spec": {},
    }


def create_node(api: Http, server: str, name: str = NODE_NAME) -> None:
    try:
        api.request("POST", f"{server}/api/v1/nodes", node_manifest(name))
    except HttpError as error:
        if error.status != 409:  # already there: `up` is re-entrant for the node
            raise


def node_schedulable(api: Http, server: str, name: str = NODE_NAME) -> bool:
    """Ready, and free of the not-ready taint that would keep pods off it."""
    node = api.get(f"{server}/api/v1/nodes/{name}")
    conditions = node.get("status", {}).get("conditions", [])
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    blocking = [
        t
        for t in node.get("spec", {}).get("taints", [])
        if t.get("effect") in ("NoSchedule", "NoExecute")
    ]
    return ready and not blocking


def default_service_account_exists(api: Http, server: str) -> bool:
    """Pods can only be created once the namespace's default SA exists."""
    try:
        api.get(f"{server}/api/v1/namespaces/default/serviceaccounts/default")
    except HttpError as error:
        if error.status == 404:
            return False
        raise
    return True
