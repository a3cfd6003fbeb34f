"""Installing a CustomResourceDefinition and waiting until its resources can be used.

Tests, the demo and the bench all install the AppDeployment CRD (generated,
committed or the chart's copy); one function does it for all of them.
"Established" is not enough: until the API server's watch cache for the new
resource is ready, lists answer 429 "storage is (re)initializing", so this
also waits until the resource can be listed.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.cluster.wait import wait_for

NOT_FOUND = 404


def install_crd(api_client: Any, crd: dict[str, Any], timeout: float = 60.0) -> None:
    """Create or replace ``crd`` and wait until its resources are served and listable."""
    extensions: Any = client.ApiextensionsV1Api(api_client)  # plain dict bodies
    body = {**crd, "metadata": dict(crd["metadata"])}
    name = body["metadata"]["name"]
    try:
        current = extensions.read_custom_resource_definition(name)
        body["metadata"]["resourceVersion"] = current.metadata.resource_version
        extensions.replace_custom_resource_definition(name, body)
    except ApiException as error:
        if error.status != NOT_FOUND:
            raise
        extensions.create_custom_resource_definition(body)

    def established() -> bool:
        status = extensions.read_custom_resource_definition(name).status
        conditions = (status.conditions if status else None) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for(established, timeout, f"CRD {name} to be Established")
    spec = body["spec"]
    version = next(v["name"] for v in spec["versions"] if v.get("served", True))
    custom = client.CustomObjectsApi(api_client)
    wait_for(
        lambda: custom.list_cluster_custom_object(
            spec["group"], version, spec["names"]["plural"], limit=1
        ),
        timeout,
        f"{spec['names']['plural']} to be listable",
        ignore=(ApiException,),
    )
