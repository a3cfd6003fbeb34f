"""The console's actions: approve, reject, retry, cancel, each the person's own request.

An action is the annotation ``kubectl appdeploy`` writes (DESIGN.md §5),
sent as the person: the approval webhook signs who they are, or refuses,
and the page shows the API server's answer verbatim. The console's own
verdict ("you may not decide") only shapes the buttons; a forced POST still
goes to the API server, which has the last word, and a refusal changes
nothing. After writing, the page waits a few seconds for the operator to take
the decision and says what it recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from appdeploy.console.follow import until
from appdeploy.console.kube import ApiError, Kube, release_path
from appdeploy.console.page_context import release_context
from appdeploy.console.pages import gate_page, now, read_body, release_events, viewer
from appdeploy.console.person import Person
from appdeploy.console.render import page
from appdeploy.console.security import CSRF_FIELD
from appdeploy.console.session import console_of, may_patch
from appdeploy.engine import DecisionKind
from appdeploy.k8s.annotations import authored_key, written_key
from appdeploy.k8s.labels import CANCEL_ANNOTATION, RETRY_ANNOTATION

CONFLICT = 409
PENDING_WAIT = 10.0
"""How long a decision waits for someone else's pending one of the same gate to be taken."""
TAKEN_WAIT = 10.0
"""How long the page waits for the operator to take a decision before answering."""
COMMENT_LIMIT = 1000
ATTEST_FIELD = "attest."
"""Form fields ``attest.NAME``: the values the gate page showed, which an approval attests."""


@dataclass(frozen=True)
class Answer:
    """What the page says after an action: accepted or refused, in the deciding party's words."""

    ok: bool
    message: str
    status: int = 0
    """The page's HTTP status: the API server's when it refused, else 200 or 409."""

    @property
    def http_status(self) -> int:
        return self.status or (200 if self.ok else 409)


async def checked_form(request: web.Request) -> dict[str, str]:
    """The POSTed form, once the CSRF and same-origin checks pass (403 otherwise)."""
    form = await request.post()
    fields = {key: str(value) for key, value in form.items()}
    refusal = console_of(request).guard.refusal(request, fields.get(CSRF_FIELD, ""))
    if refusal:
        raise ApiError(403, refusal)
    return fields


async def decide(request: web.Request) -> web.Response:
    """POST …/gates/{gate}/approve|reject."""
    fields = await checked_form(request)
    kind = DecisionKind(request.match_info["kind"])
    gate = request.match_info["gate"]
    kube, person = await viewer(request)
    key = written_key(kind, gate)
    answer = await annotate(kube, request, key, decision_value(person, kind, fields))
    if answer is None:
        answer = await decision_outcome(kube, request, kind, gate, person.user)
    body = await read_body(kube, request)
    return page(
        request, "gate.html", answer.http_status, answer=answer, **gate_page(body, request, person)
    )


def decision_value(person: Person, kind: DecisionKind, fields: dict[str, str]) -> str:
    """The annotation value the form asks for: the comment, and for an approval the values
    the page showed (``attest.NAME`` fields), which the webhook refuses when they are stale."""
    written: dict[str, Any] = {"user": person.user, "groups": list(person.groups)}
    written["comment"] = fields.get("comment", "").strip()[:COMMENT_LIMIT]
    attest = {
        name.removeprefix(ATTEST_FIELD): value
        for name, value in fields.items()
        if name.startswith(ATTEST_FIELD)
    }
    if attest and kind is DecisionKind.APPROVE:
        written["attest"] = attest
    return json.dumps(written)


async def act(request: web.Request) -> web.Response:
    """POST …/retry (form: step) or …/cancel (form: reason)."""
    fields = await checked_form(request)
    what = request.match_info["what"]
    kube, person = await viewer(request)
    if what == "retry":
        key, value = RETRY_ANNOTATION, fields.get("step", "failed").strip() or "failed"
    else:
        key, value = CANCEL_ANNOTATION, fields.get("reason", "").strip()[:COMMENT_LIMIT]
    started = now()
    answer = await annotate(kube, request, key, value)
    if answer is None:
        answer = await request_outcome(
            kube, request, key, what, started.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    return await _release_answer(request, kube, person, answer)


async def annotate(kube: Kube, request: web.Request, key: str, value: str) -> Answer | None:
    """Write ``key`` once nobody else's value holds it; an Answer only when refused."""
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    for _ in range(5):
        body = await until(
            kube, namespace, name, lambda b: key not in _annotations(b), PENDING_WAIT
        )
        if body is None:
            return Answer(False, f"{key} is still pending from someone else; try again shortly")
        patch = {
            "metadata": {
                "annotations": {key: value},
                "resourceVersion": body["metadata"]["resourceVersion"],
            }
        }
        try:
            await kube.request(
                "PATCH",
                release_path(namespace, name),
                body=patch,
                content_type="application/merge-patch+json",
            )
            return None
        except ApiError as error:
            if error.status != CONFLICT:
                return Answer(False, error.message, error.status)
    return Answer(False, "the release kept changing; try again")


async def decision_outcome(
    kube: Kube, request: web.Request, kind: DecisionKind, gate: str, user: str
) -> Answer:
    """What the operator did with the decision, once it took it."""
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    keys = {written_key(kind, gate), authored_key(kind, gate, user)}
    body = await until(kube, namespace, name, lambda b: not keys & set(_annotations(b)), TAKEN_WAIT)
    if body is None:
        return Answer(
            True,
            "Written and signed; the operator has not taken it yet "
            "(the page updates when it does).",
        )
    step: dict[str, Any] = next(
        (s for s in (body.get("status") or {}).get("steps") or [] if s.get("name") == gate), {}
    )
    if kind is DecisionKind.APPROVE and any(
        a.get("user") == user for a in step.get("approvals") or []
    ):
        return Answer(True, f"Approved {gate} as {user}; the gate is {step.get('phase')}.")
    if kind is DecisionKind.REJECT and (step.get("rejection") or {}).get("user") == user:
        return Answer(True, f"Rejected {gate} as {user}; the run fails.")
    events = await release_events(kube, namespace, name)
    refused = [e for e in events if e["reason"] in ("ApprovalRefused", "RejectionRefused")]
    return Answer(False, refused[0]["message"] if refused else "The operator did not count it.")


async def request_outcome(
    kube: Kube, request: web.Request, key: str, what: str, since: str
) -> Answer:
    """The operator's answer to a retry or cancel (its Event)."""
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    body = await until(kube, namespace, name, lambda b: key not in _annotations(b), TAKEN_WAIT)
    if body is None:
        return Answer(True, f"Asked to {what}; the operator has not taken it yet.")
    accepted, refused = f"{what.capitalize()}Accepted", f"{what.capitalize()}Refused"
    events = [
        e
        for e in await release_events(kube, namespace, name)
        if e["reason"] in (accepted, refused) and e["at"] >= since
    ]
    if not events:
        return Answer(True, f"The operator took the {what}.")
    return Answer(events[0]["reason"] == accepted, events[0]["message"])


async def _release_answer(
    request: web.Request, kube: Kube, person: Person, answer: Answer
) -> web.Response:
    body = await read_body(kube, request)
    patch = await may_patch(kube, request.match_info["namespace"], request.match_info["name"])
    context = release_context(body, person, now(), patch)
    return page(request, "release.html", answer.http_status, answer=answer, **context)


def _annotations(body: dict[str, Any]) -> dict[str, str]:
    return dict((body.get("metadata") or {}).get("annotations") or {})
