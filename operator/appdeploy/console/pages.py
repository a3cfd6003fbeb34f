"""The console's pages: releases, a release, a gate, its history, a step's logs.

Every read goes to the API server as the person (``kube_for``): what a page
shows is what RBAC lets that person read, no more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from appdeploy.api.status import Phase
from appdeploy.api.stored import read_release
from appdeploy.console.kube import ApiError, Kube, release_path
from appdeploy.console.page_context import NotAGate, gate_context, release_context
from appdeploy.console.person import Person
from appdeploy.console.releases_view import filtered, gates_for, release_rows
from appdeploy.console.render import page
from appdeploy.console.session import console_of, kube_for, may_patch, person_of
from appdeploy.console.timeline_view import timeline

LOG_BYTES = "262144"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def viewer(request: web.Request) -> tuple[Kube, Person]:
    """The API as this request's person, and who they are."""
    kube = kube_for(request)
    return kube, await person_of(request, kube)


async def visible_releases(
    request: web.Request, kube: Kube
) -> tuple[str, list[dict[str, Any]], str]:
    """(namespace, releases, notice): of the ``namespace`` filter, else every namespace; when
    RBAC refuses the cluster-wide list, none, and a notice asking for a namespace."""
    namespace = request.query.get("namespace", console_of(request).namespace).strip()
    try:
        listed = await kube.request("GET", release_path(namespace or None))
    except ApiError as error:
        if error.status != 403 or namespace:
            raise
        return namespace, [], f"{error.message}. Pick a namespace you may read in the filter above."
    return namespace, list(listed.get("items") or []), ""


async def list_releases(request: web.Request) -> web.Response:
    kube, person = await viewer(request)
    app, phase = request.query.get("app", ""), request.query.get("phase", "")
    namespace, items, notice = await visible_releases(request, kube)
    moment = now()
    rows = release_rows(items, moment)
    return page(
        request,
        "releases.html",
        person=person,
        rows=filtered(rows, app, phase),
        mine=gates_for(items, person, moment),
        namespace=namespace,
        app=app,
        phase=phase,
        apps=sorted({row.app for row in rows}),
        phases=[str(p) for p in Phase],
        notice=notice,
    )


async def read_body(kube: Kube, request: web.Request) -> dict[str, Any]:
    """The release the URL names, as the person may read it."""
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    return await kube.request("GET", release_path(namespace, name))


async def show_release(request: web.Request) -> web.Response:
    kube, person = await viewer(request)
    body = await read_body(kube, request)
    patch = await may_patch(kube, request.match_info["namespace"], request.match_info["name"])
    return page(request, "release.html", **release_context(body, person, now(), patch))


async def show_gate(request: web.Request) -> web.Response:
    kube, person = await viewer(request)
    body = await read_body(kube, request)
    return page(request, "gate.html", answer=None, **gate_page(body, request, person))


def gate_page(body: dict[str, Any], request: web.Request, person: Person) -> dict[str, Any]:
    """The gate page's values; 404 when the URL's step is not a gate."""
    gate = request.match_info["gate"]
    try:
        return gate_context(body, gate, person, now())
    except NotAGate:
        raise ApiError(404, f"{gate} is not a gate of this release") from None


async def show_history(request: web.Request) -> web.Response:
    kube, person = await viewer(request)
    body = await read_body(kube, request)
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    _, status = read_release(body)
    raw = body.get("spec") or {}
    events = await release_events(kube, namespace, name)
    return page(
        request,
        "history.html",
        person=person,
        namespace=namespace,
        name=name,
        app=str(raw.get("app") or ""),
        version=str(raw.get("version") or ""),
        entries=timeline(status),
        events=events,
    )


async def release_events(kube: Kube, namespace: str, name: str) -> list[dict[str, str]]:
    """The release's Events, newest first (empty when the person may not list them)."""
    try:
        listed = await kube.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/events",
            params={
                "fieldSelector": f"involvedObject.name={name},involvedObject.kind=AppDeployment"
            },
        )
    except ApiError:
        return []
    rows = [
        {
            "at": str(e.get("lastTimestamp") or e.get("eventTime") or ""),
            "type": str(e.get("type") or ""),
            "reason": str(e.get("reason") or ""),
            "message": str(e.get("message") or ""),
        }
        for e in listed.get("items") or []
    ]
    return sorted(rows, key=lambda row: row["at"], reverse=True)


async def step_logs(request: web.Request) -> web.Response:
    """The latest attempt's pod log, as plain text (read as the person)."""
    kube, _ = await viewer(request)
    body = await read_body(kube, request)
    namespace, step = request.match_info["namespace"], request.match_info["step"]
    _, status = read_release(body)
    job = next((s.job for s in status.steps if s.name == step and s.job), None)
    if job is None:
        raise ApiError(404, f"{step} has no Job in this run")
    pods = await kube.request(
        "GET",
        f"/api/v1/namespaces/{namespace}/pods",
        params={"labelSelector": f"batch.kubernetes.io/job-name={job}"},
    )
    items = pods.get("items") or []
    if not items:
        raise ApiError(404, f"the pod of Job {job} is gone (Jobs keep their pods until deleted)")
    pod = sorted(items, key=lambda p: str(p["metadata"].get("creationTimestamp")))[-1]
    text = await kube.text(
        f"/api/v1/namespaces/{namespace}/pods/{pod['metadata']['name']}/log",
        {"container": "step", "limitBytes": LOG_BYTES},
    )
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")
