"""Client mode's sign-in: a pasted bearer token, kept in an HttpOnly cookie.

The token is checked by asking the API server who it belongs to before it is
kept, never logged and never put in a URL. With an OIDC proxy in front
(oauth2-proxy ``--set-authorization-header``) nobody sees this page: the
proxy's ``Authorization`` header wins.
"""

from __future__ import annotations

from aiohttp import web

from appdeploy.console.actions import checked_form
from appdeploy.console.kube import ApiError, Kube
from appdeploy.console.render import page
from appdeploy.console.session import TOKEN_COOKIE, console_of, person_of

TOKEN_LIMIT = 16384


async def login_form(request: web.Request) -> web.Response:
    return page(request, "login.html", message="")


async def login(request: web.Request) -> web.Response:
    console = console_of(request)
    fields = await checked_form(request)
    token = fields.get("token", "").strip()
    if not token or len(token) > TOKEN_LIMIT:
        return page(request, "login.html", 400, message="Paste a bearer token.")
    kube = Kube(console.cluster, console.cluster.credentials(token))
    try:
        person = await person_of(request, kube)
    except ApiError as error:
        return page(
            request, "login.html", 401, message=f"The API server refused it: {error.message}"
        )
    if not person.user or person.user == "system:anonymous":
        return page(request, "login.html", 401, message="The API server did not recognise it.")
    response = web.HTTPSeeOther("/releases")
    response.set_cookie(
        TOKEN_COOKIE, token, httponly=True, samesite="Strict", secure=console.guard.secure, path="/"
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    await checked_form(request)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(TOKEN_COOKIE, path="/")
    raise response
