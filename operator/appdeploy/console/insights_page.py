"""GET /insights: where releases spend their time, from the releases the person may read."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appdeploy.console import charts
from appdeploy.console.insights import DEFAULT_LAST, insights
from appdeploy.console.kube import ApiError, release_path
from appdeploy.console.pages import now, viewer
from appdeploy.console.render import page
from appdeploy.console.session import console_of

LAST_LIMIT = 100
"""Releases per app at most: the figures are read from status, not from a metrics store."""
CHARTS = (
    charts.lead_time_chart,
    charts.time_share_chart,
    charts.gate_wait_chart,
    charts.soak_chart,
    charts.step_rates_chart,
)


async def show_insights(request: web.Request) -> web.Response:
    kube, person = await viewer(request)
    namespace = request.query.get("namespace", console_of(request).namespace).strip()
    app = request.query.get("app", "")
    try:
        last = min(max(int(request.query.get("last", DEFAULT_LAST)), 1), LAST_LIMIT)
    except ValueError:
        last = DEFAULT_LAST
    notice = ""
    try:
        listed = await kube.request("GET", release_path(namespace or None))
    except ApiError as error:
        if error.status != 403 or namespace:
            raise
        listed, notice = {"items": []}, f"{error.message}. Pick a namespace you may read."
    items: list[dict[str, Any]] = listed.get("items") or []
    every = insights(items, now(), last)
    shown = [figures for figures in every if app in ("", figures.app)]
    return page(
        request,
        "insights.html",
        person=person,
        namespace=namespace,
        app=app,
        apps=sorted(figures.app for figures in every),
        last=last,
        last_limit=LAST_LIMIT,
        notice=notice,
        shown_apps=shown,
        charts={figures.app: [chart(figures) for chart in CHARTS] for figures in shown},
    )
