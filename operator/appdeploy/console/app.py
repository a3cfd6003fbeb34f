"""The console's aiohttp application: routes, errors, static files, serving.

aiohttp because kopf already brings it (one HTTP stack for the operator's
webhooks and the console) and it streams Server-Sent Events natively.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from appdeploy.console import actions, insights_page, live, pages, signin
from appdeploy.console.kube import ApiError, NotSignedIn
from appdeploy.console.render import page
from appdeploy.console.session import CONSOLE, Console

STATIC = Path(__file__).with_name("static")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("appdeploy.console")


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The API server's refusal as a page (verbatim); sign-in when client mode has no token."""
    try:
        return await handler(request)
    except NotSignedIn:
        if request.method == "GET" and not request.path.endswith("/events"):
            raise web.HTTPSeeOther("/login") from None
        return page(
            request,
            "error.html",
            401,
            title="Sign in first",
            message="No token.",
            hint="Open /login, or put the console behind your OIDC proxy.",
        )
    except ApiError as error:
        title = {401: "Not signed in", 403: "Refused", 404: "Not found"}.get(
            error.status, "The API server answered with an error"
        )
        hint = "Your token may have expired: sign in again." if error.status == 401 else ""
        return page(
            request, "error.html", error.status, title=title, message=error.message, hint=hint
        )


def build_app(console: Console) -> web.Application:
    """The console application for ``console``."""
    app = web.Application(middlewares=[errors], client_max_size=64 * 1024)
    app[CONSOLE] = console
    app.on_response_prepare.append(console.guard.on_prepare)
    release = "/releases/{namespace}/{name}"
    app.add_routes(
        [
            web.get("/healthz", pages.healthz),
            web.get("/", _to_releases),
            web.get("/releases", pages.list_releases),
            web.get(release, pages.show_release),
            web.get(release + "/history", pages.show_history),
            web.get(release + "/events", live.events),
            web.get(release + "/gates/{gate}", pages.show_gate),
            web.post(release + "/gates/{gate}/{kind:approve|reject}", actions.decide),
            web.post(release + "/{what:retry|cancel}", actions.act),
            web.get(release + "/steps/{step}/logs", pages.step_logs),
            web.get("/insights", insights_page.show_insights),
            web.static("/static", STATIC, follow_symlinks=False),
        ]
    )
    if console.client_auth:
        app.add_routes(
            [
                web.get("/login", signin.login_form),
                web.post("/login", signin.login),
                web.post("/logout", signin.logout),
            ]
        )

    async def close(_: web.Application) -> None:
        await console.cluster.close()

    app.on_cleanup.append(close)
    return app


async def _to_releases(request: web.Request) -> web.Response:
    raise web.HTTPFound("/releases")
