"""Which requests reach which webhook, as the real API server decides it.

The identity hooks (sign-decisions, check-decisions) fail closed, so they must
see only requests that add, change or remove a human action (approve/reject,
under the written key or an author's own, retry, cancel): a GitOps sync or a
label change must never depend on the webhook being up. (The operator's own
removal of a consumed decision does: it serves the webhook itself.)
validate-spec sees every create and update. sign-spec (fails open) sees creates,
spec changes and requests that touch ``appdeploy.dev/spec-author``;
sign-break-glass (fails closed) only those that touch ``appdeploy.dev/break-glass``.
appdeploy's configurations are applied as they are shipped, pointing at a
recording webhook on 127.0.0.1, and the API server evaluates their rules,
namespaceSelector and CEL matchConditions.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from appdeploy.admission.configurations import (
    CHECK_DECISIONS,
    SIGN_BREAK_GLASS,
    SIGN_DECISIONS,
    SIGN_SPEC,
    VALIDATE_SPEC,
    webhook_configurations,
)
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.cluster.certs import create_webhook_pki
from tests.cluster.wait import wait_for
from tests.integration.recording_webhook import RecordingWebhook
from tests.integration.releases import release_spec, run_step

MARK = "test.appdeploy.dev/request"
"""Set to a fresh value on every request, to find that request among the recorded ones."""
EVERY_HOOK = {VALIDATE_SPEC, SIGN_DECISIONS, CHECK_DECISIONS}
"""Every hook a human action reaches."""
SPEC_ONLY = {VALIDATE_SPEC}
AUTHORING = {VALIDATE_SPEC, SIGN_SPEC}
"""A new spec (or a touched spec-author): attributed."""
BREAKING_GLASS = {VALIDATE_SPEC, SIGN_BREAK_GLASS}
ALL_FIVE = EVERY_HOOK | AUTHORING | BREAKING_GLASS
LIVE_TIMEOUT = 60.0


@dataclass
class Hooks:
    """appdeploy's webhook configurations, served by a recorder, on one namespace."""

    recorder: RecordingWebhook
    custom: Any
    namespace: str

    def create(self, name: str, annotations: dict[str, str], *, dry_run: bool = False) -> None:
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AppDeployment",
            "metadata": {"name": name, "annotations": annotations},
            "spec": release_spec(run_step("build")),
        }
        extra = {"dry_run": "All"} if dry_run else {}
        self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, body, **extra
        )

    def annotate(self, name: str, annotations: dict[str, str | None]) -> None:
        """A merge patch of annotations (None removes one)."""
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name, {"metadata": {"annotations": annotations}}
        )

    def reached_by(self, request: Callable[[str], None]) -> set[str]:
        """The hooks that saw ``request`` (called with its marker value)."""
        marker = uuid.uuid4().hex
        request(marker)
        # Admission is synchronous: once the API server answered, every hook
        # that was called has been recorded.
        return self.recorder.hooks_that_saw(MARK, marker)


@pytest.fixture
def hooks(api_client: Any, unwatched_namespace: str, tmp_path: Path) -> Iterator[Hooks]:
    ca, serving = create_webhook_pki(tmp_path / "pki")
    recorder = RecordingWebhook(serving)
    mutating, validating = webhook_configurations(
        base64.b64encode(Path(ca.cert).read_bytes()).decode(),
        base_url=recorder.url,
        namespace_selector={"matchLabels": {"kubernetes.io/metadata.name": unwatched_namespace}},
        name=f"appdeploy-scoping-{unwatched_namespace}",
    )
    registration = client.AdmissionregistrationV1Api(api_client)
    registration.create_mutating_webhook_configuration(mutating)
    registration.create_validating_webhook_configuration(validating)
    state = Hooks(recorder, client.CustomObjectsApi(api_client), unwatched_namespace)

    def probe(marker: str) -> None:
        annotations = {MARK: marker, "approve.appdeploy.dev/qa": "ok", GLASS: "hotfix"}
        state.create("probe", annotations, dry_run=True)

    # The API server picks up new configurations from a watch, a moment later.
    wait_for(lambda: state.reached_by(probe) == ALL_FIVE, LIVE_TIMEOUT, "all five hooks to be live")
    yield state
    registration.delete_mutating_webhook_configuration(mutating["metadata"]["name"])
    registration.delete_validating_webhook_configuration(validating["metadata"]["name"])
    recorder.stop()


AUTHORED = "alice-2bd806c97f.approve.appdeploy.dev/qa"
AUTHOR = "appdeploy.dev/spec-author"
GLASS = "appdeploy.dev/break-glass"


def test_only_requests_that_add_change_or_remove_a_human_action_reach_the_identity_hooks(
    hooks: Hooks,
) -> None:
    def annotate(annotations: dict[str, str | None]) -> Callable[[str], None]:
        return lambda marker: hooks.annotate("shop", {MARK: marker, **annotations})

    def change_spec(marker: str) -> None:
        patch = {"metadata": {"annotations": {MARK: marker}}, "spec": {"version": marker[:8]}}
        hooks.custom.patch_namespaced_custom_object(
            GROUP, VERSION, hooks.namespace, PLURAL, "shop", patch
        )

    stories: list[tuple[str, Callable[[str], None], set[str]]] = [
        ("a release created", lambda marker: hooks.create("shop", {MARK: marker}), AUTHORING),
        ("an unrelated annotation", annotate({"team": "a"}), SPEC_ONLY),
        # Retry and cancel are signed and attributed like decisions.
        ("a retry request", annotate({"appdeploy.dev/retry": "failed"}), EVERY_HOOK),
        ("a cancel request", annotate({"appdeploy.dev/cancel": "wrong build"}), EVERY_HOOK),
        ("an approval added", annotate({"approve.appdeploy.dev/qa": "ok"}), EVERY_HOOK),
        ("another annotation, the approval kept", annotate({"team": "b"}), SPEC_ONLY),
        ("the approval changed", annotate({"approve.appdeploy.dev/qa": "ok!"}), EVERY_HOOK),
        # Removing a decision is checked: nobody removes another person's.
        ("the approval removed", annotate({"approve.appdeploy.dev/qa": None}), EVERY_HOOK),
        ("an author's own key added", annotate({AUTHORED: "ok"}), EVERY_HOOK),
        ("an author's own key removed", annotate({AUTHORED: None}), EVERY_HOOK),
        ("a rejection added", annotate({"reject.appdeploy.dev/qa": "no"}), EVERY_HOOK),
        ("a look-alike key", annotate({"approve.appdeploy.dev.example/qa": "x"}), SPEC_ONLY),
        (
            "a release created with an approval",
            lambda marker: hooks.create(
                "other", {MARK: marker, "approve.appdeploy.dev/qa": "early"}
            ),
            EVERY_HOOK | AUTHORING,
        ),
        ("the spec changed", change_spec, AUTHORING),
        ("spec-author added", annotate({AUTHOR: "alice"}), AUTHORING),
        ("spec-author changed", annotate({AUTHOR: "ceo"}), AUTHORING),
        ("another annotation, spec-author kept", annotate({"team": "c"}), SPEC_ONLY),
        ("spec-author removed", annotate({AUTHOR: None}), AUTHORING),
        ("break-glass added", annotate({GLASS: "hotfix"}), BREAKING_GLASS),
        ("another annotation, break-glass kept", annotate({"team": "d"}), SPEC_ONLY),
        ("break-glass changed", annotate({GLASS: "hotfix 2"}), BREAKING_GLASS),
        ("break-glass removed", annotate({GLASS: None}), BREAKING_GLASS),
    ]
    seen = [(what, hooks.reached_by(request)) for what, request, _ in stories]
    assert seen == [(what, expected) for what, _, expected in stories]
