"""Jinja2 templates (autoescaped: release fields are attacker-controlled text).

Jinja2 because it is the well-kept standard for server-rendered HTML in
Python, escapes by default, and lets the live updates re-render exactly the
fragments a page was built from (docs/console.md#libraries).
"""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from appdeploy.console.bars import short_duration
from appdeploy.console.security import CSRF_FIELD
from appdeploy.console.session import console_of

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("appdeploy.console", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters["duration"] = short_duration


def fragment(template: str, **context: Any) -> str:
    """One template rendered on its own (a page, or a fragment a live update replaces)."""
    return ENVIRONMENT.get_template(template).render(**context)


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A full page, with what every page needs (the CSRF token, the mode, the person)."""
    console = console_of(request)
    context.setdefault("person", None)
    html = fragment(
        template,
        csrf=console.guard.token(request),
        csrf_field=CSRF_FIELD,
        client_auth=console.client_auth,
        **context,
    )
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
