"""The demo's ReleasePolicy: the store uploads need compliance, and a shortcut is refused.

The demo installs ``examples/release-policy.yaml`` (cluster-scoped: it covers
every namespace labelled ``appdeploy.dev/tier=production`` of the demo's
cluster) and labels the demo namespace so. Once the operator serves its
webhooks, it asks the API server, as a server-side dry run, to create the
release with ``upload-testflight`` no longer waiting for compliance: the
admission webhook refuses it, naming the policy, the rule and the field, and
nothing is stored. The release itself meets the policy, so it runs; its
verdict is in ``status.policies`` (the summary shows it).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.cluster.wait import WaitTimeout, wait_for

from appdeploy.api.policy import POLICY_PLURAL
from demo.install import create_or_patch
from demo.release import DemoRelease

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILE = ROOT / "examples" / "release-policy.yaml"
TIER = {"appdeploy.dev/tier": "production"}
GROUP, VERSION, PLURAL = "appdeploy.dev", "v1alpha1", "appdeployments"
SHORTCUT_STEP, REQUIRED_GATE = "upload-testflight", "compliance"
REFUSAL_TIMEOUT = 30.0


def install_policy(api: Any, namespace: str) -> str:
    """Apply the example policy and label ``namespace`` into its scope; the policy's name."""
    policy = yaml.safe_load(POLICY_FILE.read_text())
    name = str(policy["metadata"]["name"])
    custom: Any = client.CustomObjectsApi(api)

    def replace() -> object:
        current = custom.get_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, name)
        body = {**policy, "metadata": {**policy["metadata"], **_version(current)}}
        return custom.replace_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, name, body)

    create_or_patch(
        lambda: custom.create_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, policy), replace
    )
    core: Any = client.CoreV1Api(api)
    core.patch_namespace(namespace, {"metadata": {"labels": TIER}})
    return name


def remove_policy(api: Any) -> bool:
    """Delete the example policy (it is cluster-scoped); whether there was one to delete."""
    name = str(yaml.safe_load(POLICY_FILE.read_text())["metadata"]["name"])
    try:
        client.CustomObjectsApi(api).delete_cluster_custom_object(
            GROUP, VERSION, POLICY_PLURAL, name
        )
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


def _version(current: dict[str, Any]) -> dict[str, str]:
    return {"resourceVersion": str(current["metadata"]["resourceVersion"])}


def shortcut(release: DemoRelease) -> dict[str, Any]:
    """The release's manifest with the TestFlight upload no longer waiting for compliance."""
    manifest = copy.deepcopy(release.manifest)
    for step in manifest["spec"]["steps"]:
        if step["name"] == SHORTCUT_STEP:
            step["needs"] = [need for need in step["needs"] if need != REQUIRED_GATE]
    return manifest


def shortcut_refusal(api: Any, release: DemoRelease) -> str:
    """What the door answers the shortcut (a dry run: nothing is stored); "" if admitted.

    The webhook may answer before the operator listed the policies (it admits
    then, with a warning): asked again until it refuses, for a few seconds.
    """
    custom: Any = client.CustomObjectsApi(api)
    body = shortcut(release)

    def refused() -> str:
        try:
            custom.create_namespaced_custom_object(
                GROUP, VERSION, release.namespace, PLURAL, body, dry_run="All"
            )
        except ApiException as error:
            return _message(error)
        return ""

    try:
        return wait_for(refused, REFUSAL_TIMEOUT, "the admission webhook to refuse the shortcut")
    except WaitTimeout:
        return ""


def _message(error: ApiException) -> str:
    try:
        return str(json.loads(error.body or "{}").get("message") or error.reason)
    except ValueError:
        return str(error.reason)
