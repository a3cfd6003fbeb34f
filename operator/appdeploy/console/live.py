"""Live pages: a watch of the release, as the person, feeding Server-Sent Events.

Each change re-renders the fragments the page was built from (summary, DAG,
gates, actions, steps; a gate's panel and buttons on a gate page) and sends
them as named events, which the vendored htmx SSE extension swaps in place.
A comment line every few seconds keeps proxies from closing an idle stream
and notices a browser that left.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from aiohttp import web
from markupsafe import Markup

from appdeploy.console.follow import changes
from appdeploy.console.kube import ApiError
from appdeploy.console.page_context import NotAGate, gate_context, release_context
from appdeploy.console.pages import now, viewer
from appdeploy.console.person import Person
from appdeploy.console.render import fragment
from appdeploy.console.security import CSRF_FIELD
from appdeploy.console.session import console_of, may_patch

KEEPALIVE = 10.0
RELEASE_FRAGMENTS = {
    "summary": "_summary.html",
    "gates": "_gates.html",
    "actions": "_actions.html",
    "steps": "_steps.html",
}
GATE_FRAGMENTS = {"gate": "_gate_state.html", "gate-buttons": "_gate_buttons.html"}


def sse_event(name: str, html: str) -> bytes:
    """One Server-Sent Event: every line of ``html`` as a ``data:`` line."""
    lines = [f"event: {name}", *(f"data: {line}" for line in html.splitlines() or [""])]
    return ("\n".join(lines) + "\n\n").encode()


async def events(request: web.Request) -> web.StreamResponse:
    """GET …/events[?gate=NAME]: the page's fragments, again on every change."""
    kube, person = await viewer(request)
    namespace, name = request.match_info["namespace"], request.match_info["name"]
    gate = request.query.get("gate", "")
    patch = await may_patch(kube, namespace, name)
    console = console_of(request)
    common = {"csrf": console.guard.token(request), "csrf_field": CSRF_FIELD}
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    stream: AsyncGenerator[dict[str, Any], None] = changes(kube, namespace, name)
    try:
        async for body in _with_keepalive(stream, response):
            for event_name, html in _fragments(body, gate, person, patch, common):
                await response.write(sse_event(event_name, html))
        await response.write(sse_event("deleted", "<p>This release was deleted.</p>"))
    except ApiError as error:
        await response.write(sse_event("problem", str(Markup("<p>{}</p>").format(error.message))))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            await stream.aclose()
    return response


def _fragments(
    body: dict[str, Any], gate: str, person: Person, patch: tuple[bool, str], common: dict[str, Any]
) -> list[tuple[str, str]]:
    moment = now()
    context = {**release_context(body, person, moment, patch), **common}
    found = [("dag", str(context["dag"]))]
    found += [(event, fragment(name, **context)) for event, name in RELEASE_FRAGMENTS.items()]
    if gate:
        try:
            gated = {**gate_context(body, gate, person, moment), **common}
        except NotAGate:
            return found
        found += [(event, fragment(name, **gated)) for event, name in GATE_FRAGMENTS.items()]
    return found


async def _with_keepalive(
    stream: AsyncIterator[dict[str, Any]], response: web.StreamResponse
) -> AsyncIterator[dict[str, Any]]:
    """The stream's items; a keepalive comment whenever none came for KEEPALIVE seconds."""
    pending: asyncio.Task[dict[str, Any]] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(stream))
            done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE)
            if not done:
                await response.write(b": keepalive\n\n")
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield item
    finally:
        if pending is not None:
            pending.cancel()
