"""Horizontal bar charts as server-rendered SVG, safe to inline in a page.

The label is on the left and the figure on the right, so a chart needs no
JavaScript and no axis to decode (appdeploy.console.charts draws the insights
with them). Every text
comes from releases (attacker-controlled), so the SVG is built with
ElementTree, which escapes every text and attribute value, after control
characters are made visible (appdeploy.api.text). The console's CSP forbids
inline styles and scripts: elements carry ``class`` attributes for the
stylesheet and presentation attributes (``fill``, ``width``) only, and no
``style`` or event attribute is ever written. Pure.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup

from appdeploy.api.text import escape_line

WIDTH = 840
LABEL_WIDTH = 200
FIGURE_WIDTH = 320
GAP = 8
BAR_X = LABEL_WIDTH + GAP
BAR_WIDTH = WIDTH - BAR_X - FIGURE_WIDTH - GAP
ROW = 24
BAR_HEIGHT = 16
TOP = 30
LEGEND = 22
LABEL_LIMIT = 34
"""Characters of a label drawn; the full label is the row's tooltip (its <title>)."""
EMPTY = "Nothing to show yet"
_CLASS_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
# Fallback colours as presentation attributes; the stylesheet's classes override them.
DEFAULT_FILL = "#4a78c2"
_FILLS = ("#4a78c2", "#d9822b", "#7a5cc2", "#9aa5b1", "#3d9970", "#c23b3b")


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart."""

    label: str
    value: float
    """The bar's length, in the chart's unit (seconds, a rate)."""
    figure: str
    """The value as people read it, drawn right of the bar."""
    kind: str = ""
    """An extra class of the bar (e.g. ``failed``); [a-z0-9-] only."""


@dataclass(frozen=True)
class Part:
    """One part of a stacked bar: its class and its name in the legend."""

    key: str
    """Class of its segments, ``part-KEY``; [a-z0-9-] only."""
    name: str


@dataclass(frozen=True)
class StackedBar:
    """One row of a stacked chart: one value per part, in the chart's part order."""

    label: str
    values: tuple[float, ...]
    figure: str


def bar_chart(
    title: str, bars: Sequence[Bar], *, scale: float | None = None, empty: str = EMPTY
) -> Markup:
    """A horizontal bar chart; ``scale`` is the value of a full-width bar (default: the largest)."""
    svg, top = _chart(title, len(bars), legend=False)
    if not bars:
        _empty(svg, empty)
    full = scale if scale is not None else max((bar.value for bar in bars), default=0.0)
    for index, bar in enumerate(bars):
        row = _row(svg, top + index * ROW, bar.label, bar.figure)
        _rect(row, BAR_X, top + index * ROW, _length(bar.value, full), _classes("bar", bar.kind))
    return _markup(svg)


def stacked_chart(
    title: str,
    parts: Sequence[Part],
    bars: Sequence[StackedBar],
    *,
    whole: bool = False,
    empty: str = EMPTY,
) -> Markup:
    """A chart of bars split into ``parts`` (with a legend), all on one scale; ``whole``:
    every bar full width, so the parts read as shares (the figure gives the size)."""
    for part in parts:
        _class_name(part.key)
    svg, top = _chart(title, len(bars), legend=True)
    _legend(svg, parts)
    if not bars:
        _empty(svg, empty)
    full = max((sum(bar.values) for bar in bars), default=0.0)
    for index, bar in enumerate(bars):
        if len(bar.values) != len(parts):
            raise ValueError(f"{bar.label!r}: {len(bar.values)} values for {len(parts)} parts")
        y = top + index * ROW
        row = _row(svg, y, bar.label, bar.figure)
        scale = sum(bar.values) if whole else full
        x = float(BAR_X)
        for part_index, (part, value) in enumerate(zip(parts, bar.values, strict=True)):
            width = _length(value, scale)
            if width:
                rect = _rect(row, x, y, width, f"bar part-{part.key}")
                rect.set("fill", _FILLS[part_index % len(_FILLS)])
                ET.SubElement(rect, "title").text = _text(f"{part.name}: {_share(value, bar)}")
            x += width
    return _markup(svg)


_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def short_duration(value: timedelta) -> str:
    """A duration to its two largest units: ``3d4h``, ``2h`` (for 2h0m5s), ``1m5s``, ``0s``."""
    seconds = max(int(value.total_seconds()), 0)
    counts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        counts.append((count, unit))
    first = next((i for i, (count, _) in enumerate(counts) if count), len(counts) - 1)
    return "".join(f"{count}{unit}" for count, unit in counts[first : first + 2] if count) or "0s"


def _chart(title: str, rows: int, *, legend: bool) -> tuple[ET.Element, int]:
    top = TOP + (LEGEND if legend else 0)
    height = top + max(rows, 1) * ROW + GAP
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": str(WIDTH),
            "height": str(height),
            "class": "chart",
            "role": "img",
        },
    )
    ET.SubElement(svg, "title").text = _text(title)
    heading = ET.SubElement(svg, "text", {"x": "0", "y": "18", "class": "chart-title"})
    heading.text = _text(title)
    return svg, top


def _row(svg: ET.Element, y: int, label: str, figure: str) -> ET.Element:
    row = ET.SubElement(svg, "g", {"class": "row"})
    ET.SubElement(row, "title").text = _text(f"{label}: {figure}")
    baseline = str(y + BAR_HEIGHT - 4)
    shown = _text(label)
    if len(shown) > LABEL_LIMIT:
        shown = shown[: LABEL_LIMIT - 1] + "…"
    name = ET.SubElement(
        row, "text", {"x": str(LABEL_WIDTH), "y": baseline, "text-anchor": "end", "class": "label"}
    )
    name.text = shown
    value = ET.SubElement(
        row, "text", {"x": str(BAR_X + BAR_WIDTH + GAP), "y": baseline, "class": "figure"}
    )
    value.text = _text(figure)
    return row


def _rect(parent: ET.Element, x: float, y: int, width: float, classes: str) -> ET.Element:
    return ET.SubElement(
        parent,
        "rect",
        {
            "x": _number(x),
            "y": str(y),
            "width": _number(width),
            "height": str(BAR_HEIGHT),
            "class": classes,
            "fill": DEFAULT_FILL,
        },
    )


def _legend(svg: ET.Element, parts: Sequence[Part]) -> None:
    x = BAR_X
    for index, part in enumerate(parts):
        item = ET.SubElement(svg, "g", {"class": "legend"})
        swatch = _rect(item, x, TOP - 4, 12, f"swatch part-{part.key}")
        swatch.set("height", "12")
        swatch.set("fill", _FILLS[index % len(_FILLS)])
        text = ET.SubElement(item, "text", {"x": str(x + 16), "y": str(TOP + 6), "class": "legend"})
        text.text = _text(part.name)
        x += 32 + 7 * len(part.name)


def _empty(svg: ET.Element, message: str) -> None:
    note = ET.SubElement(svg, "text", {"x": str(BAR_X), "y": str(TOP + 14), "class": "empty"})
    note.text = _text(message)


def _length(value: float, full: float) -> float:
    if full <= 0 or value <= 0:
        return 0.0
    # A bar too short to see still shows that there is something.
    return max(min(value / full, 1.0) * BAR_WIDTH, 1.0)


def _share(value: float, bar: StackedBar) -> str:
    total = sum(bar.values)
    percent = round(100 * value / total) if total > 0 else 0
    return f"{short_duration(timedelta(seconds=value))} ({percent}%)"


def _classes(base: str, extra: str) -> str:
    return f"{base} {_class_name(extra)}" if extra else base


def _class_name(name: str) -> str:
    if not _CLASS_NAME.match(name):
        raise ValueError(f"not a class name: {name!r} (use [a-z0-9-], starting with a letter)")
    return name


def _text(value: str) -> str:
    # Control characters on one visible line; ElementTree escapes the markup characters.
    return escape_line(value)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _markup(svg: ET.Element) -> Markup:
    # The tree was built from escaped text only: the serialisation is safe to inline.
    return Markup(ET.tostring(svg, encoding="unicode"))
