"""Acting on a release from the command line: decisions, retry, cancel, and their outcome.

Each action is an annotation (DESIGN.md §5). Before writing it, the command
asks the engine whether it would count (so "you are not an approver of
qa-signoff: it needs group qa" comes back at once); it writes it only if no
other value of the same key is pending (a resourceVersion precondition: with
the webhook the written key never stays, it is moved to the author's own
key, so two approvers never wait on each other; without it, they take turns
rather than overwrite each other); then it waits until the operator consumed
it and reports what the operator decided.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from appdeploy.api.approvals import attest_pairs
from appdeploy.cli.attestation import describe, shown_attest
from appdeploy.engine import DecisionKind, ObservedDecision, Release, Settings, check_decision
from appdeploy.k8s.annotations import authored_key, written_key
from appdeploy.k8s.labels import GROUP, KIND, PLURAL, VERSION

CONFLICT, GONE = 409, 410
EVENT_WAIT = 10.0
"""How long to follow Events for the operator's answer once it consumed the annotation."""
EARLY_CHECK = Settings(remind_floor=timedelta(0))
"""How the command judges a decision before writing it. The reminder floor is the
operator's setting (``--min-reminder-interval``), which the command cannot know, so it
leaves the spec's reminders to the operator and its webhook, who have the last word."""


class ActionError(Exception):
    """The action was refused or could not be confirmed; the message says what to do."""


class ReleaseClient:
    """One release, through the API as the (possibly impersonated) caller."""

    def __init__(self, api_client: client.ApiClient, namespace: str, name: str) -> None:
        self.api_client = api_client
        self.namespace = namespace
        self.name = name
        self.custom = client.CustomObjectsApi(api_client)

    @functools.cached_property
    def core(self) -> client.CoreV1Api:
        """The core API, made on first use: importing it takes about a second, and an
        approval that goes through needs none of it."""
        return client.CoreV1Api(self.api_client)

    def get(self) -> dict[str, Any]:
        """The release; ActionError naming the namespace when it does not exist."""
        try:
            body = cast(
                dict[str, Any],
                self.custom.get_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, self.name
                ),
            )
        except ApiException as error:
            if error.status == 404:
                raise ActionError(
                    f"no AppDeployment {self.name} in namespace {self.namespace}; "
                    "check the name, or pass -n NAMESPACE"
                ) from None
            raise ActionError(api_reason(error)) from None
        return body

    def whoami(self) -> tuple[str, list[str]]:
        """The caller as the API server authenticates them (SelfSubjectReview)."""
        review = client.AuthenticationV1Api(self.api_client).create_self_subject_review(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}  # type: ignore[arg-type]
        )
        plain: dict[str, Any] = self.api_client.sanitize_for_serialization(review)  # type: ignore[no-untyped-call]
        info = (plain.get("status") or {}).get("userInfo") or {}
        return str(info.get("username") or ""), [str(g) for g in info.get("groups") or []]

    def annotate(self, key: str, value: str, wait: float) -> None:
        """Write ``key`` once no pending value holds it (waits up to ``wait`` seconds)."""
        deadline = time.monotonic() + wait
        while True:
            body = self.until(
                lambda body: key not in _annotations(body),
                deadline,
                f"{key} is still pending from someone else after {wait:g}s; is the "
                "operator running? (kubectl appdeploy status shows what it recorded)",
            )
            patch = {
                "metadata": {
                    "annotations": {key: value},
                    "resourceVersion": body["metadata"]["resourceVersion"],
                }
            }
            try:
                self.custom.patch_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, self.name, patch
                )
                return
            except ApiException as error:
                if error.status != CONFLICT:
                    raise ActionError(api_reason(error)) from None

    def wait_consumed(self, key: str, wait: float, *also: str) -> dict[str, Any]:
        """The release once ``key`` and ``also`` are gone; ActionError after ``wait`` seconds."""
        keys = (key, *also)
        return self.until(
            lambda body: not set(keys) & set(_annotations(body)),
            time.monotonic() + wait,
            f"written, but the operator has not picked up {key} within {wait:g}s; "
            "is it running? The annotation stays until it does.",
        )

    def until(
        self, condition: Callable[[dict[str, Any]], bool], deadline: float, timeout_message: str
    ) -> dict[str, Any]:
        """The release once ``condition`` holds, following a watch (as ``kubectl wait`` does)."""
        body = self.get()
        while not condition(body):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ActionError(timeout_message)
            stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
                self.custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                field_selector=f"metadata.name={self.name}",
                resource_version=body["metadata"]["resourceVersion"],
                timeout_seconds=max(1, math.ceil(remaining)),
            )
            try:
                for event in stream:
                    if event["type"] == "DELETED":
                        raise ActionError(f"AppDeployment {self.name} was deleted")
                    body = event["object"]
                    if condition(body) or time.monotonic() >= deadline:
                        break
            except ApiException as error:
                if error.status != GONE:  # an expired resourceVersion: read afresh
                    raise ActionError(api_reason(error)) from None
                body = self.get()
        return body

    def events_since(self, since: datetime, reasons: set[str], wait: float = 0.0) -> list[Any]:
        """Events about the release with one of ``reasons``, newest last.

        The operator posts its Events last, after it removed the annotation, so
        a caller that just saw the annotation consumed follows a watch up to
        ``wait`` seconds for the first such Event instead of reading too early.
        """
        selector = f"involvedObject.name={self.name},involvedObject.kind={KIND}"
        listed = self.core.list_namespaced_event(self.namespace, field_selector=selector)
        found = [event for event in listed.items if _matches(event, since, reasons)]
        if found or wait <= 0:
            return sorted(found, key=lambda event: event.metadata.creation_timestamp)
        stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
            self.core.list_namespaced_event,
            self.namespace,
            field_selector=selector,
            resource_version=listed.metadata.resource_version if listed.metadata else None,
            timeout_seconds=max(1, math.ceil(wait)),
        )
        try:
            for event in stream:
                if event["type"] in ("ADDED", "MODIFIED") and _matches(
                    event["object"], since, reasons
                ):
                    return [event["object"]]
        except ApiException as error:
            if error.status != GONE:
                raise ActionError(api_reason(error)) from None
        return []


def _matches(event: Any, since: datetime, reasons: set[str]) -> bool:
    stamp = event.last_timestamp or event.event_time or since
    return bool(event.reason in reasons and stamp >= since)


def _annotations(body: dict[str, Any]) -> dict[str, str]:
    return dict(body["metadata"].get("annotations") or {})


def api_reason(error: ApiException) -> str:
    """The API server's message (a webhook's refusal, RBAC's 'forbidden', …)."""
    try:
        return str(json.loads(error.body or "{}").get("message") or error.reason)
    except ValueError:
        return str(error.reason)


def decide(
    release: ReleaseClient,
    kind: DecisionKind,
    gate: str,
    comment: str,
    *,
    wait: float,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    attest: Mapping[str, str] | None = None,
    tell: Callable[[str], None] = lambda _: None,
) -> str:
    """Approve or reject ``gate``; the outcome as one line, or ActionError with the reason.

    An approval attests ``attest``, or else the values the gate shows in status
    (``tell`` says which); a rejection attests nothing.
    """
    user, groups = release.whoami()
    body = release.get()
    metadata = body["metadata"]
    key = written_key(kind, gate)
    run = (body.get("status") or {}).get("run")
    attested: dict[str, str] = {}
    if kind is DecisionKind.APPROVE:
        attested = dict(attest) if attest else shown_attest(body, gate)
        if attested:
            tell(f"You attest: {describe(attested)}")
    decision = ObservedDecision(
        key,
        kind,
        gate,
        user=user,
        groups=tuple(groups),
        comment=comment,
        at=now(),
        verified=True,
        run=int(run) if run is not None else None,  # what the webhook will sign it for
        attest=attest_pairs(attested),
    )
    snapshot = Release(
        metadata["name"],
        metadata["namespace"],
        int(metadata.get("generation") or 1),
        body.get("spec") or {},
        body.get("status"),
    )
    reason = check_decision(snapshot, decision, now(), EARLY_CHECK)
    if reason:
        raise ActionError(f"cannot {kind} {gate} as {user}: {reason}")
    started = now().replace(microsecond=0)
    written: dict[str, Any] = {"user": user, "groups": groups, "comment": comment}
    if attested:
        written["attest"] = attested
    envelope = json.dumps(written)
    release.annotate(key, envelope, wait)
    # The webhook moves the decision to the author's own key; without it, it stays put.
    after = release.wait_consumed(key, wait, authored_key(kind, gate, user))
    step: dict[str, Any] = next(
        (s for s in (after.get("status") or {}).get("steps") or [] if s.get("name") == gate), {}
    )
    if kind is DecisionKind.APPROVE and any(
        a.get("user") == user for a in step.get("approvals") or []
    ):
        counted = len(step.get("approvals") or [])
        return f"approved {gate} as {user} ({counted} so far; gate is {step.get('phase')})"
    rejection = step.get("rejection") or {}
    if kind is DecisionKind.REJECT and rejection.get("user") == user:
        return f"rejected {gate} as {user}: the run fails"
    refused = release.events_since(
        started, {"ApprovalRefused", "RejectionRefused"}, wait=EVENT_WAIT
    )
    detail = refused[-1].message if refused else "see kubectl describe appdeployment"
    raise ActionError(f"the operator refused it: {detail}")


def request(
    release: ReleaseClient,
    what: str,
    value: str,
    wait: float,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str:
    """Retry or cancel; the operator's answer as one line, or ActionError."""
    key = f"appdeploy.dev/{what}"
    started = now().replace(microsecond=0)
    release.get()
    release.annotate(key, value, wait)
    release.wait_consumed(key, wait)
    accepted, refused = f"{what.capitalize()}Accepted", f"{what.capitalize()}Refused"
    events = release.events_since(started, {accepted, refused}, wait=EVENT_WAIT)
    if events and events[-1].reason == refused:
        raise ActionError(events[-1].message)
    return events[-1].message if events else f"{what} taken by the operator"
