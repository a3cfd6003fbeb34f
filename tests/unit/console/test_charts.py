"""The insights charts: readable figures, and inert whatever the release fields hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from markupsafe import Markup

from appdeploy.console import charts
from appdeploy.console.bars import (
    BAR_WIDTH,
    Bar,
    Part,
    StackedBar,
    bar_chart,
    short_duration,
    stacked_chart,
)
from appdeploy.console.insights import AppInsights, insights
from tests.unit.console.bodies import T0, approval, release, step

SVG = "{http://www.w3.org/2000/svg}"
NOW = T0 + timedelta(days=1)
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(2)>'
# What a chart may write: no style, no event handler, no link, nothing that runs.
ATTRIBUTES = {
    "viewBox", "width", "height", "class", "role", "x", "y", "text-anchor", "fill",
}  # fmt: skip
ELEMENTS = {"svg", "title", "text", "g", "rect"}

CHARTS = [
    charts.lead_time_chart,
    charts.gate_wait_chart,
    charts.soak_chart,
    charts.time_share_chart,
    charts.step_rates_chart,
]


def _hostile() -> AppInsights:
    evil = SCRIPT + BREAKOUT + "\x1b[31m\nline"
    body = release(
        evil,
        app=evil,
        version=evil,
        end=100,
        gates={evil: [evil]},
        steps=[
            step("build", "run", "Succeeded", 0, 10, attempts=2),
            step(evil, "gate", "Succeeded", 10, 70, approvals=[approval("x", [evil], 70)]),
            step("soak", "wait", "Succeeded", 70, 100),
        ],
    )
    (app,) = insights([body], NOW)
    return app


def _texts(tree: ET.Element) -> list[str]:
    return [element.text or "" for element in tree.iter() if element.text]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda chart: chart.__name__)
def test_release_fields_come_out_as_inert_text(chart: object) -> None:
    app = _hostile()
    svg = chart(app)  # type: ignore[operator]
    assert isinstance(svg, Markup)
    assert "<script" not in svg and "<img" not in svg and "\x1b" not in svg
    tree = ET.fromstring(str(svg))  # well-formed: nothing broke out of a text or attribute
    assert tree.tag == f"{SVG}svg"
    for element in tree.iter():
        assert element.tag.removeprefix(SVG) in ELEMENTS
        assert set(element.attrib) <= ATTRIBUTES, element.attrib
    texts = _texts(tree)
    # The hostile text is shown, as text (control characters made visible).
    assert any(SCRIPT in text for text in texts)
    assert any("\\x1b[31m\\nline" in text for text in texts)


def test_each_chart_says_what_it_shows_and_its_figures() -> None:
    (app,) = insights(
        [
            release("r1", version="4.12.0", end=100, gates={"qa": ["qa"]}, steps=[
                step("build", "run", "Failed", 0, 5, attempts=2),
                step("qa", "gate", "Succeeded", 10, 70, approvals=[approval("a", ["qa"], 70)]),
                step("soak", "wait", "Succeeded", 70, 100),
            ]),
            release("r2", version="4.13.0", phase="Running", start=200),
        ],
        NOW,
    )  # fmt: skip
    shown = {chart.__name__: " | ".join(_texts(ET.fromstring(chart(app)))) for chart in CHARTS}
    assert "Lead time per release" in shown["lead_time_chart"]
    assert "4.12.0 (r1) | 1h40m" in shown["lead_time_chart"]
    assert "4.13.0 (r2) | 20h40m so far, Running" in shown["lead_time_chart"]
    assert "qa · qa | p50 1h · p90 1h · max 1h (n=1)" in shown["gate_wait_chart"]
    assert "soak | p50 30m" in shown["soak_chart"]
    assert "waiting on people: 1h (60%)" in shown["time_share_chart"]
    assert "all 1 shown | 1h40m" in shown["time_share_chart"]
    assert "build (run) | 100% failed, 100% retried, n=1" in shown["step_rates_chart"]


def test_an_app_with_nothing_finished_says_so() -> None:
    (app,) = insights([release("r", phase=None, start=None)], NOW)
    assert "No release has started yet" in charts.lead_time_chart(app)
    assert "No gate has opened yet" in charts.gate_wait_chart(app)
    assert "No soak has finished yet" in charts.soak_chart(app)
    assert "No current run to break down" in charts.time_share_chart(app)
    assert "No step has started yet" in charts.step_rates_chart(app)


def _widths(svg: str) -> list[float]:
    tree = ET.fromstring(svg)
    return [float(rect.get("width", "0")) for rect in tree.iter(f"{SVG}rect")]


def test_bars_share_one_scale() -> None:
    bars = [Bar("a", 10, "10"), Bar("b", 5, "5"), Bar("c", 0, "0"), Bar("d", 0.0001, "tiny")]
    assert _widths(bar_chart("t", bars)) == [BAR_WIDTH, BAR_WIDTH / 2, 0, 1]
    assert _widths(bar_chart("rates", [Bar("a", 0.25, "25%")], scale=1.0)) == [BAR_WIDTH / 4]


def test_stacked_segments_add_up_to_the_bar() -> None:
    parts = [Part("one", "one"), Part("two", "two")]
    svg = stacked_chart("t", parts, [StackedBar("a", (30, 10), "40"), StackedBar("b", (0, 20), "")])
    widths = _widths(svg)[len(parts) :]  # after the legend's swatches
    assert widths == [BAR_WIDTH * 3 / 4, BAR_WIDTH / 4, BAR_WIDTH / 2]
    rows = [StackedBar("a", (30, 10), ""), StackedBar("b", (0, 20), "")]
    shares = stacked_chart("t", parts, rows, whole=True)
    assert _widths(shares)[len(parts) :] == [BAR_WIDTH * 3 / 4, BAR_WIDTH / 4, BAR_WIDTH]


@pytest.mark.parametrize(
    ("call", "complaint"),
    [
        (lambda: stacked_chart("t", [Part("a", "a")], [StackedBar("x", (1, 2), "")]), "2 values"),
        (lambda: stacked_chart("t", [Part('a" onload="x', "a")], []), "not a class name"),
        (lambda: bar_chart("t", [Bar("x", 1, "1", kind="a b")]), "not a class name"),
    ],
)
def test_misuse_is_refused(call: object, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (-5, "0s"), (40, "40s"), (65, "1m5s"), (7205, "2h"), (7260, "2h1m"),
     (3 * 86400 + 4 * 3600 + 60, "3d4h"), (86400, "1d")],
)  # fmt: skip
def test_short_durations_keep_two_units(seconds: int, text: str) -> None:
    assert short_duration(timedelta(seconds=seconds)) == text
