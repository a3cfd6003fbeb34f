"""The insights page's charts: one app's figures (appdeploy.console.insights) as SVG.

Each chart answers one question a release manager asks, in words on the chart:
how long releases take, which gate and approver group they wait on, how long
soaks hold them, where the time went, which steps fail. Values are drawn as
bars and written out beside them (``p50 2h · p90 1d3h · n=8``), so the page
reads without hovering. Safe to inline: see appdeploy.console.bars. Pure.
"""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup

from appdeploy.console.bars import Bar, Part, StackedBar, bar_chart, short_duration, stacked_chart
from appdeploy.console.insights import AppInsights, ReleaseTimes
from appdeploy.console.step_figures import Spread
from appdeploy.console.time_share import TimeShare

SHARE_PARTS = (
    Part("running", "running"),
    Part("people", "waiting on people"),
    Part("soaking", "soaking"),
    Part("other", "other"),
)
# Outcome classes come from this table, never from the stored phase text itself.
_OUTCOME_CLASSES = {
    "Succeeded": "succeeded",
    "Failed": "failed",
    "Cancelled": "cancelled",
    "Superseded": "superseded",
    "Invalid": "invalid",
    "Running": "running",
    "AwaitingApproval": "waiting",
    "Pending": "pending",
}


def lead_time_chart(app: AppInsights) -> Markup:
    """Lead time per release, newest first; releases not Succeeded show their time so far."""
    bars = [
        Bar(
            _release_label(release),
            elapsed.total_seconds(),
            _lead_figure(release, elapsed),
            _OUTCOME_CLASSES.get(release.outcome, "other"),
        )
        for release in app.releases
        if (elapsed := release.elapsed) is not None
    ]
    title = f"Lead time per release (created to Succeeded), {app.app}"
    return bar_chart(title, bars, empty="No release has started yet")


def gate_wait_chart(app: AppInsights) -> Markup:
    """The median wait of each gate, by the approver group it was credited to."""
    bars = [
        Bar(
            f"{wait.gate} · {wait.group}",
            wait.waits.p50.total_seconds() if wait.waits else 0.0,
            ", ".join(
                part
                for part in (
                    _spread_figure(wait.waits) if wait.waits else "",
                    f"{wait.waiting} waiting" if wait.waiting else "",
                )
                if part
            ),
        )
        for wait in app.gates
    ]
    title = f"Median wait per gate and approver group, {app.app}"
    return bar_chart(title, bars, empty="No gate has opened yet")


def soak_chart(app: AppInsights) -> Markup:
    """The median time each wait step (soak) held releases."""
    bars = [
        Bar(soak.step, soak.soaks.p50.total_seconds(), _spread_figure(soak.soaks))
        for soak in app.soaks
    ]
    return bar_chart(f"Time in soaks, {app.app}", bars, empty="No soak has finished yet")


def time_share_chart(app: AppInsights) -> Markup:
    """Where the time went, for all the releases together and then each one."""
    rows = [
        StackedBar(_release_label(release), _share_values(share), short_duration(share.total))
        for release in app.releases
        if (share := release.share) is not None
    ]
    if rows:
        total = StackedBar(
            f"all {len(rows)} shown", _share_values(app.share), short_duration(app.share.total)
        )
        rows.insert(0, total)
    title = f"Where the time went (share of each release's time), {app.app}"
    return stacked_chart(title, SHARE_PARTS, rows, whole=True, empty="No current run to break down")


def step_rates_chart(app: AppInsights) -> Markup:
    """How often each step failed (the bar) and needed another attempt (the figure)."""
    bars = [
        Bar(
            f"{step.step} ({step.type})",
            step.failure_rate,
            f"{_percent(step.failure_rate)} failed, {_percent(step.retry_rate)} retried, "
            f"n={step.started}",
            "failed" if step.failed else "",
        )
        for step in app.steps
    ]
    title = f"Failure and retry rate by step, {app.app}"
    return bar_chart(title, bars, scale=1.0, empty="No step has started yet")


def _release_label(release: ReleaseTimes) -> str:
    return f"{release.version} ({release.name})"


def _lead_figure(release: ReleaseTimes, elapsed: timedelta) -> str:
    shown = short_duration(elapsed)
    if release.lead_time is not None:
        return shown
    if release.finished is None:
        return f"{shown} so far, {release.outcome}"
    return f"{shown}, {release.outcome}"


def _spread_figure(spread: Spread) -> str:
    return (
        f"p50 {short_duration(spread.p50)} · p90 {short_duration(spread.p90)} · "
        f"max {short_duration(spread.max)} (n={spread.count})"
    )


def _share_values(share: TimeShare) -> tuple[float, ...]:
    return tuple(
        part.total_seconds() for part in (share.running, share.people, share.soaking, share.other)
    )


def _percent(rate: float) -> str:
    return f"{round(rate * 100)}%"
