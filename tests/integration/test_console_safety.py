"""The console in a real browser stays safe: release text is inert, other sites cannot act.

Release fields are written by whoever may edit a release, so a gate
description, a step's outputs (its termination message) and the app's params
holding markup must render as text: no script runs, no element is injected,
and the browser reports no Content-Security-Policy violation on any page. A
POST from another origin, or without the page's CSRF token, is refused with
403 and changes nothing (plain httpx speaks for the other site).
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException

from appdeploy.console.security import CSRF_COOKIE, CSRF_FIELD
from tests.integration.browser import (
    console_log,
    csp_violations,
    read,
    wait_for_element,
    wait_for_text,
)
from tests.integration.console_http import Visitor
from tests.integration.console_world import ConsoleWorld, browser, story_diagnostics, world
from tests.integration.releases import gate_step, release_spec, run_step

__all__ = ["browser", "story_diagnostics", "world"]

QA = "qa-signoff"
SCRIPT = '<script>alert("script")</script>'
BREAKOUT = '"><img src=x onerror=alert("img")>'
VENDORED = ["/static/vendor/htmx.min.js", "/static/vendor/htmx-ext-sse.js"]
"""The only scripts a console page loads."""
LIVE_TIMEOUT = 10.0


def hostile_spec() -> dict[str, Any]:
    """Markup in a step's outputs, the app's params and a gate's description."""
    return release_spec(
        run_step("build", outputs={"notes": SCRIPT, "link": BREAKOUT}),
        gate_step(
            QA,
            ["build"],
            description=f"Check {SCRIPT} for $(params.ticket): $(steps.build.outputs.link)",
        ),
        run_step("ship", [QA]),
        params={"ticket": BREAKOUT},
    )


def injected(driver: webdriver.Chrome) -> dict[str, Any]:
    """What markup in release fields would have added: images, scripts, an alert."""
    found: dict[str, Any] = driver.execute_script(
        "return {images: document.querySelectorAll('img').length,"
        " scripts: Array.from(document.scripts, s => s.getAttribute('src')),"
        " handlers: document.querySelectorAll('[onerror], [onload], [onclick]').length};"
    )
    try:
        found["alert"] = driver.switch_to.alert.text
    except NoAlertPresentException:
        found["alert"] = None
    return found


INERT = {"images": 0, "scripts": VENDORED, "handlers": 0, "alert": None}


def test_markup_in_a_release_renders_as_text_on_every_page(
    world: ConsoleWorld, browser: webdriver.Chrome
) -> None:
    name = "shop-xss"
    world.releases.apply(name, hostile_spec())
    world.releases.wait_for(name, steps={QA: "Waiting"})
    assert world.releases.status(name).step("build").outputs == {
        "notes": SCRIPT,
        "link": BREAKOUT,
    }, "the outputs reached status as written"
    alice = world.console("alice", ["qa"])
    base = f"{alice.url}/releases/{world.namespace}/{name}"
    described = f"Check {SCRIPT} for {BREAKOUT}: {BREAKOUT}"
    console_log(browser)

    browser.get(f"{alice.url}/releases?namespace={world.namespace}")
    wait_for_element(browser, "#waiting-on-me .description")
    assert_inert(browser)
    assert read(browser, "#waiting-on-me .description") == described

    browser.get(base)
    outputs = wait_for_text(browser, "#step-build", "notes=")
    assert_inert(browser)
    assert f"notes={SCRIPT}" in outputs and f"link={BREAKOUT}" in outputs, outputs
    title = read(browser, f'a.node-link[data-step="{QA}"] title', "textContent")
    assert described in title, title

    browser.get(f"{base}/gates/{QA}")
    wait_for_element(browser, "#gate-description")
    assert_inert(browser)
    assert read(browser, "#gate-description") == described

    browser.get(f"{base}/history")
    wait_for_element(browser, "#timeline")
    assert_inert(browser)


def assert_inert(driver: webdriver.Chrome) -> None:
    """Nothing the release's text could add is on the page, and the CSP had nothing to block."""
    assert injected(driver) == INERT
    assert csp_violations(console_log(driver)) == []


def test_the_pages_and_their_live_updates_break_no_content_security_policy_rule(
    world: ConsoleWorld, browser: webdriver.Chrome
) -> None:
    name = "shop-csp"
    world.releases.apply(name, release_spec(run_step("build"), gate_step(QA, ["build"])))
    world.releases.wait_for(name, steps={QA: "Waiting"})
    alice = world.console("alice", ["qa"])
    base = f"{alice.url}/releases/{world.namespace}/{name}"
    console_log(browser)
    for url, shown in (
        (f"{alice.url}/releases?namespace={world.namespace}", "#releases"),
        (f"{base}/history", "#timeline"),
        (f"{base}/gates/{QA}", "#gate-state"),
        (base, "svg.dag"),
    ):
        browser.get(url)
        wait_for_element(browser, shown)
    assert browser.execute_script("return typeof htmx;") == "object", "htmx runs on the page"
    world.releases.approve(name, QA, as_user="bob", groups=["qa"])
    wait_for_text(browser, "#release-phase", "Succeeded", timeout=LIVE_TIMEOUT)
    entries = console_log(browser)
    assert csp_violations(entries) == [], entries


@pytest.fixture
def csrf_release(world: ConsoleWorld) -> str:
    name = "shop-csrf"
    world.releases.apply(name, release_spec(run_step("build"), gate_step(QA, ["build"])))
    world.releases.wait_for(name, steps={QA: "Waiting"})
    return name


def test_a_post_from_another_site_or_without_the_token_is_refused_and_changes_nothing(
    world: ConsoleWorld, csrf_release: str
) -> None:
    alice = world.console("alice", ["qa"])
    page = f"/releases/{world.namespace}/{csrf_release}/gates/{QA}"
    approve = f"{page}/approve"
    mine, other, stranger = Visitor(alice.url), Visitor(alice.url), Visitor(alice.url)
    token, other_token = mine.token_from(page), other.token_from(page)
    assert CSRF_COOKIE in mine.http.cookies and CSRF_COOKIE not in stranger.http.cookies
    http = mine.http
    form = {CSRF_FIELD: token, "comment": "approved for you"}
    same = {"Origin": alice.url, "Sec-Fetch-Site": "same-origin"}
    cross = {"Sec-Fetch-Site": "cross-site"}
    before = world.releases.get(csrf_release)

    attempts = {
        "another origin": http.post(approve, data=form, headers={"Origin": "https://evil.example"}),
        "a cross-site fetch": http.post(approve, data=form, headers=cross),
        "no token": http.post(approve, data={"comment": "approved for you"}, headers=same),
        "another browser's token": http.post(approve, data={CSRF_FIELD: other_token}, headers=same),
        "no CSRF cookie": stranger.http.post(approve, data=form, headers=same),
    }  # fmt: skip
    for why, response in attempts.items():
        assert response.status_code == 403, f"{why}: {response.status_code} {response.text}"
        assert "refused" in response.text, why
    after = world.releases.get(csrf_release)
    assert after["metadata"].get("annotations") == before["metadata"].get("annotations")
    assert after["status"] == before["status"]

    taken = http.post(approve, data=form, headers=same)
    assert taken.status_code == 200, "the same form from the console's own page is taken"
    [approval] = world.releases.status(csrf_release).step(QA).approvals
    assert (approval.user, approval.verified) == ("alice", True)
    for made in (mine, other, stranger):
        made.close()
