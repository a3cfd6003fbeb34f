"""Attributed changes and break-glass on the real control plane, people acting as themselves.

The operator serves its webhooks on 127.0.0.1 (admission_setup): every spec a
person creates or changes is signed with their authenticated name, each run
records it, history keeps the earlier authors, and nobody can forge it. The
glass is broken only by a ReleasePolicy's breakGlass.groups.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from kubernetes import client

from appdeploy.api.spec_hash import spec_hash
from appdeploy.k8s.attribution import UNSIGNED_BREAK_GLASS, read_author, read_break_glass
from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION, SPEC_AUTHOR_ANNOTATION
from tests.cluster.wait import wait_for
from tests.integration.admission_setup import Admission, admission, releases
from tests.integration.attribution_setup import SAM, as_person, create, editors, spec, store_policy
from tests.integration.releases import Releases, run_cli

__all__ = ["admission", "editors", "releases", "store_policy"]  # fixtures used below


def test_each_run_carries_its_author_and_history_keeps_the_earlier_one(
    releases: Releases, kubectl: Callable[..., list[str]], editors: None
) -> None:
    create(kubectl, releases, "attributed", "alice")
    first = releases.wait_for("attributed", steps={"qa": "Waiting"})
    stored = releases.get("attributed")["spec"]
    assert (first.author, first.spec_hash) == ("alice", spec_hash(stored))

    edited = as_person(
        kubectl,
        releases,
        "bob",
        ["dev"],
        "patch",
        "appdeployment/attributed",
        "--type=merge",
        "-p",
        json.dumps({"spec": {"version": "1.0.1"}}),
    )
    assert edited.returncode == 0, edited.stderr
    second = releases.wait_for("attributed", run=2, steps={"qa": "Waiting"})
    assert (second.author, second.spec_hash) == (
        "bob",
        spec_hash(releases.get("attributed")["spec"]),
    )
    [earlier] = second.history
    assert (earlier.run, earlier.author, earlier.spec_hash) == (1, "alice", first.spec_hash)


def test_a_forged_spec_author_is_refused_and_changes_nothing(
    releases: Releases, kubectl: Callable[..., list[str]], editors: None
) -> None:
    create(kubectl, releases, "unforged", "alice")
    releases.wait_for("unforged", steps={"qa": "Waiting"})
    before = releases.get("unforged")
    forged = json.dumps({"user": "ceo", "groups": ["admins"], "signature": "0" * 64})
    result = releases.annotate(
        "unforged",
        SPEC_AUTHOR_ANNOTATION,
        forged,
        as_user="mallory",
        groups=["dev"],
        overwrite=True,
    )
    assert result.returncode != 0
    assert (
        f"{SPEC_AUTHOR_ANNOTATION}: only the admission webhook writes it, when the spec "
        "changes; mallory may not set or change it"
    ) in result.stderr
    after = releases.get("unforged")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert releases.status("unforged").author == "alice"
    # Removing it (as a whole-object replace would) keeps the webhook's value.
    removed = as_person(
        kubectl,
        releases,
        "mallory",
        ["dev"],
        "annotate",
        "appdeployment/unforged",
        f"{SPEC_AUTHOR_ANNOTATION}-",
    )
    assert removed.returncode == 0, removed.stderr
    assert (
        releases.annotations("unforged")[SPEC_AUTHOR_ANNOTATION]
        == before["metadata"]["annotations"][SPEC_AUTHOR_ANNOTATION]
    )


def test_only_the_policys_break_glass_group_may_break_the_glass(
    releases: Releases,
    kubectl: Callable[..., list[str]],
    editors: None,
    store_policy: str,
    cluster: Any,
) -> None:
    create(kubectl, releases, "glass", "alice")
    releases.wait_for("glass", steps={"qa": "Waiting"})
    reason = json.dumps({"reason": "CVE-2026-1234 hotfix"})

    def signed_in_dry_run() -> bool:
        dry = as_person(
            kubectl,
            releases,
            *SAM,
            "annotate",
            "appdeployment/glass",
            f"{BREAK_GLASS_ANNOTATION}={reason}",
            "--dry-run=server",
        )
        return dry.returncode == 0

    wait_for(signed_in_dry_run, 60, f"the operator to know ReleasePolicy {store_policy}")
    before = releases.get("glass")["metadata"]["resourceVersion"]
    mallory = releases.annotate(
        "glass", BREAK_GLASS_ANNOTATION, reason, as_user="mallory", groups=["dev"]
    )
    assert mallory.returncode != 0
    assert (
        f"only members of sre-oncall (ReleasePolicy {store_policy} breakGlass.groups) may "
        "break the glass"
    ) in mallory.stderr
    assert releases.get("glass")["metadata"]["resourceVersion"] == before

    broken = run_cli(
        cluster.kubeconfig,
        releases.namespace,
        "break-glass",
        "glass",
        "--reason",
        "CVE-2026-1234 hotfix",
        user=SAM[0],
        groups=SAM[1],
    )
    assert broken.returncode == 0, broken.stderr
    assert "broke the glass on" in broken.stdout and "as sam (sre-oncall" in broken.stdout
    claim = json.loads(releases.annotations("glass")[BREAK_GLASS_ANNOTATION])
    assert (claim["user"], claim["reason"], claim["specHash"]) == (
        "sam",
        "CVE-2026-1234 hotfix",
        spec_hash(releases.get("glass")["spec"]),
    )
    assert "sre-oncall" in claim["groups"] and len(claim["signature"]) == 64

    status = run_cli(cluster.kubeconfig, releases.namespace, "status", "glass")
    assert "break-glass: by sam" in status.stdout and "for this spec" in status.stdout
    assert "spec by alice" in status.stdout

    removal = as_person(
        kubectl,
        releases,
        "mallory",
        ["dev"],
        "annotate",
        "appdeployment/glass",
        f"{BREAK_GLASS_ANNOTATION}-",
    )
    assert removal.returncode == 0, removal.stderr
    assert "appdeploy.dev/break-glass kept on" in removal.stderr, "kubectl prints the warning"
    assert releases.annotations("glass")[BREAK_GLASS_ANNOTATION] == json.dumps(
        claim, separators=(",", ":")
    )


def test_without_the_webhook_a_break_glass_is_stored_unsigned_and_never_verified(
    api_client: Any, unwatched_namespace: str, cluster: Any, kubectl: Callable[..., list[str]]
) -> None:
    bare = Releases(api_client, unwatched_namespace, kubectl)
    bare.apply("bare", spec())
    result = run_cli(
        cluster.kubeconfig, unwatched_namespace, "break-glass", "bare", "--reason", "hotfix"
    )
    assert result.returncode == 1
    assert "was written but not signed: the admission webhook is not installed" in result.stderr
    stored = bare.get("bare")
    assert read_author(stored, b"k" * 32) is None
    glass = read_break_glass(stored, b"k" * 32)
    assert glass is not None and not glass.verified and glass.problem == UNSIGNED_BREAK_GLASS


def operator_key(admission: Admission) -> bytes:
    """The operator's signing key, as it loaded it (its Secret in the namespace)."""
    secret = client.CoreV1Api(admission.api_client).read_namespaced_secret(
        "appdeploy-approval-key", admission.namespace
    )
    return base64.b64decode(secret.data["key"])


def test_broken_with_a_spec_change_the_glass_covers_the_new_spec_as_stored(
    releases: Releases,
    kubectl: Callable[..., list[str]],
    editors: None,
    store_policy: str,
    admission: Admission,
) -> None:
    create(kubectl, releases, "hotfix", "alice")
    releases.wait_for("hotfix", steps={"qa": "Waiting"})
    change = {
        "metadata": {"annotations": {BREAK_GLASS_ANNOTATION: "CVE-2026-1234 hotfix"}},
        "spec": {"version": "1.0.2"},
    }

    def patched() -> bool:
        result = as_person(
            kubectl,
            releases,
            *SAM,
            "patch",
            "appdeployment/hotfix",
            "--type=merge",
            "-p",
            json.dumps(change),
        )
        return result.returncode == 0

    wait_for(patched, 60, f"the operator to know ReleasePolicy {store_policy}")
    stored = releases.get("hotfix")
    glass = read_break_glass(stored, operator_key(admission))
    assert glass is not None and glass.verified, glass
    assert (glass.user, glass.reason, glass.spec_hash) == (
        "sam",
        "CVE-2026-1234 hotfix",
        spec_hash(stored["spec"]),
    )
    author = read_author(stored, operator_key(admission))
    assert author is not None and author.verified and author.user == "sam"
    assert releases.wait_for("hotfix", run=2).author == "sam"
