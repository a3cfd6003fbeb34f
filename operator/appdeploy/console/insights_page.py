"""GET /insights: where releases spend their time, from the releases the person may read."""

from __future__ import annotations

from aiohttp import web

from appdeploy.console import charts
from appdeploy.console.insights import DEFAULT_LAST, insights
from appdeploy.console.pages import now, viewer, visible_releases
from appdeploy.console.render import page

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
    app = request.query.get("app", "")
    try:
        last = min(max(int(request.query.get("last", DEFAULT_LAST)), 1), LAST_LIMIT)
    except ValueError:
        last = DEFAULT_LAST
    namespace, items, notice = await visible_releases(request, kube)
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
