"""Headless Chromium for the live-update figure, and the page script that stamps DOM changes.

Debian's ``/usr/bin/chromium`` through ``/usr/bin/chromedriver`` (Selenium
4.51 pairs with them, /work/shared/MACHINE-FACTS.md), so Selenium Manager
never downloads anything. The stamps are taken inside the page, by a
MutationObserver, as ``performance.timeOrigin + performance.now()``: the
wall clock in milliseconds, comparable with the bench's ``time.time()`` on
the same machine (``clock_offset`` checks by how much).
"""

from __future__ import annotations

import time
from typing import Any

from selenium.common.exceptions import TimeoutException
from tests.integration.browser import open_browser

__all__ = ["open_browser"]  # the stories' headless Chromium, reused

# arguments: the pattern whose group 1 is the sequence number, the SSE event (sse-swap name)
# that fills the element, the element's CSS selector. For each number, records when the
# event carrying it reached the page (htmx:sseBeforeMessage, just before htmx swaps it in)
# and when the element first showed it (a MutationObserver); wakes a waiter if any.
OBSERVE = """
const pattern = new RegExp(arguments[0]), event = arguments[1], selector = arguments[2];
const bench = window.__bench = {messages: {}, seen: {}, waiters: {}};
document.addEventListener("htmx:sseBeforeMessage", (e) => {
  const at = performance.timeOrigin + performance.now();
  const found = e.detail.type === event && pattern.exec(e.detail.data);
  if (found && !(found[1] in bench.messages)) bench.messages[found[1]] = at;
});
new MutationObserver(() => {
  const at = performance.timeOrigin + performance.now();
  const element = document.querySelector(selector);
  const found = element && pattern.exec(element.textContent);
  if (!found || found[1] in bench.seen) return;
  bench.seen[found[1]] = [bench.messages[found[1]] ?? null, at];
  const waiter = bench.waiters[found[1]];
  if (waiter) waiter(bench.seen[found[1]]);
}).observe(document.body, {subtree: true, childList: true, characterData: true});
"""
# An async script: resolves with [message, DOM] stamps of number arguments[0] once shown.
SEEN = """
const key = arguments[0], done = arguments[arguments.length - 1];
const bench = window.__bench;
if (key in bench.seen) done(bench.seen[key]); else bench.waiters[key] = done;
"""
CLOCK_READINGS = 20
NOW = "return performance.timeOrigin + performance.now();"


def observe(driver: Any, pattern: str, event: str, selector: str) -> None:
    """Install the stamps on the open page."""
    driver.execute_script(OBSERVE, pattern, event, selector)


def seen_at(driver: Any, seq: int, timeout: float) -> tuple[float | None, float]:
    """When (wall clock, seconds) ``seq``'s event reached the page (None if not seen) and
    when the page showed it; RuntimeError after ``timeout``."""
    driver.set_script_timeout(timeout)
    try:
        message, dom = driver.execute_async_script(SEEN, str(seq))
    except TimeoutException:
        raise RuntimeError(
            f"the page did not show update {seq} within {timeout:g}s (are htmx and its SSE "
            "extension in operator/appdeploy/console/static/vendor/?)"
        ) from None
    return (None if message is None else float(message) / 1000), float(dom) / 1000


def clock_offset(driver: Any) -> tuple[float, float]:
    """(page clock - bench clock, ± bound) in seconds, from the tightest of a few readings."""
    readings = []
    for _ in range(CLOCK_READINGS):
        before = time.time()
        page = float(driver.execute_script(NOW)) / 1000
        readings.append((before, page, time.time()))
    return best_offset(readings)


def best_offset(readings: list[tuple[float, float, float]]) -> tuple[float, float]:
    """From (bench before, page, bench after) readings: the offset of the shortest round trip.

    The page read its clock somewhere between ``before`` and ``after``, so the
    offset is ``page - midpoint`` within ± half that round trip.
    """
    if not readings:
        raise ValueError("no clock readings")
    before, page, after = min(readings, key=lambda r: r[2] - r[0])
    return page - (before + after) / 2, (after - before) / 2
