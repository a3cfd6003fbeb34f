"""The console in a real browser: people decide gates as themselves, and it says why not.

Headless Chromium (Debian's) drives ``appdeploy console`` processes, each
acting as one person (local mode, ``--as``/``--as-group``), against the real
control plane with an operator whose webhooks sign every decision. A story
clicks what a person clicks and waits on what the page shows (the answer to
a POST or a live update), then checks the release in the API.
"""

from __future__ import annotations

import json
import time
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from selenium import webdriver
from selenium.webdriver.support.wait import WebDriverWait

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.cluster.clients import impersonating_client
from tests.integration.browser import click, read, wait_for_element, wait_for_text
from tests.integration.console_world import ConsoleWorld, browser, story_diagnostics, world
from tests.integration.releases import gate_step, release_spec, run_step

__all__ = ["browser", "story_diagnostics", "world"]

QA, COMPLIANCE = "qa-signoff", "compliance"
DECIDED_WITHIN = 2.0
"""Seconds from the click to the page showing the gate Succeeded (the issue's promise)."""
LIVE_TIMEOUT = 10.0
"""A live update's deadline; how fast it comes is the bench's (bench/), not a story's."""


def signoff_spec() -> dict[str, Any]:
    """build -> qa-signoff (group qa) -> compliance (compliance or qa, distinctFrom) -> ship."""
    return release_spec(
        run_step("build", outputs={"build": "4812"}),
        gate_step(QA, ["build"], description="Test build $(steps.build.outputs.build)"),
        gate_step(COMPLIANCE, [QA], approvers={"groups": ["compliance", "qa"]}, distinctFrom=[QA]),
        run_step("ship", [COMPLIANCE]),
    )


def waiting_release(world: ConsoleWorld, name: str) -> None:
    world.releases.apply(name, signoff_spec())
    world.releases.wait_for(name, steps={QA: "Waiting"})


def gate_url(world: ConsoleWorld, url: str, name: str, gate: str) -> str:
    return f"{url}/releases/{world.namespace}/{name}/gates/{gate}"


def test_alice_opens_the_release_from_the_list_and_approves_qa_signoff(
    world: ConsoleWorld, browser: webdriver.Chrome
) -> None:
    name = "shop-alice"
    waiting_release(world, name)
    alice = world.console("alice", ["qa"])

    browser.get(f"{alice.url}/releases?namespace={world.namespace}")
    click(browser, f'tr[data-release="{world.namespace}/{name}"] a')
    node = f'svg.dag a.node-link[data-step="{QA}"]'
    wait_for_element(browser, node)
    assert browser.current_url == f"{alice.url}/releases/{world.namespace}/{name}"
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.dag a.node-link g.node rect'),"
        " r => r.closest('a').dataset.step);"
    )
    assert drawn == ["build", QA, COMPLIANCE, "ship"], "one SVG node per step"
    assert read(browser, f"{node} g.node", "data-phase") == "Waiting"

    click(browser, node)
    wait_for_element(browser, "#comment").send_keys("4812 passes on TestFlight")
    wait_for_text(browser, "#verdict", "You may decide this gate as alice")
    clicked = time.monotonic()
    click(browser, "#approve")  # returns once the answer page loaded, if it came
    left = DECIDED_WITHIN - (time.monotonic() - clicked)
    wait_for_text(browser, "#gate-phase", "Succeeded", timeout=max(left, 0.0))
    shown = time.monotonic() - clicked
    assert shown <= DECIDED_WITHIN, f"Succeeded on the page {shown:.2f}s after the click"
    assert "alice" in read(browser, "#gate-approvals") and "signed" in read(
        browser, "#gate-approvals"
    )

    [approval] = world.releases.status(name).step(QA).approvals
    assert (approval.user, approval.comment, approval.verified) == (
        "alice",
        "4812 passes on TestFlight",
        True,
    ), "recorded as alice and signed by the webhook"
    assert approval.signature


def test_mallory_sees_why_she_may_not_approve_and_a_forced_post_is_refused(
    world: ConsoleWorld, browser: webdriver.Chrome
) -> None:
    name = "shop-mallory"
    waiting_release(world, name)
    mallory = world.console("mallory", ["dev"])

    browser.get(gate_url(world, mallory.url, name, QA))
    wait_for_element(browser, "#approve")
    assert read(browser, "#approve", "disabled") is True
    why = read(browser, "#approve-why")
    assert "mallory is not an approver of qa-signoff: it needs group qa" in why, why
    assert read(browser, "#approve", "aria-describedby") == "approve-why"

    comment = "let me through"
    envelope = {"user": "mallory", "groups": ["dev", "system:authenticated"], "comment": comment}
    webhook_says = dry_run_refusal(world, name, "mallory", ["dev"], json.dumps(envelope))
    before = world.releases.get(name)
    wait_for_element(browser, "#comment").send_keys(comment)
    browser.execute_script(
        "const b = document.getElementById('approve'); b.removeAttribute('disabled'); b.click();"
    )
    wait_for_element(browser, "#answer.refused")
    assert read(browser, "#answer") == webhook_says, "the API server's message, verbatim"
    after = world.releases.get(name)
    assert after["metadata"].get("annotations") == before["metadata"].get("annotations")
    assert after["status"] == before["status"]
    assert not world.releases.status(name).step(QA).approvals


def dry_run_refusal(
    world: ConsoleWorld, name: str, user: str, groups: list[str], value: str
) -> str:
    """What the API server answers ``user`` writing this approval (a dry run changes nothing)."""
    api = impersonating_client(world.kubeconfig, user, groups)
    try:
        client.CustomObjectsApi(api).patch_namespaced_custom_object(
            GROUP,
            VERSION,
            world.namespace,
            PLURAL,
            name,
            {"metadata": {"annotations": {f"approve.appdeploy.dev/{QA}": value}}},
            dry_run="All",
        )
    except ApiException as error:
        assert error.status == 403, error.body
        return str(json.loads(error.body)["message"])
    finally:
        api.close()
    raise AssertionError(f"the webhook accepted {user}'s approval")


def test_after_approving_qa_signoff_alice_sees_compliance_bars_her_before_she_clicks(
    world: ConsoleWorld, browser: webdriver.Chrome
) -> None:
    name = "shop-four-eyes"
    waiting_release(world, name)
    world.releases.approve(name, QA, as_user="alice", groups=["qa"])
    world.releases.wait_for(name, steps={QA: "Succeeded", COMPLIANCE: "Waiting"})
    alice = world.console("alice", ["qa"])

    browser.get(gate_url(world, alice.url, name, COMPLIANCE))
    barred = wait_for_text(browser, "#gate-barred", "alice")
    assert "alice approved qa-signoff, and compliance is distinctFrom it" in barred, barred
    assert read(browser, "#approve", "disabled") is True
    why = read(browser, "#approve-why")
    assert "alice approved qa-signoff" in why and "distinctFrom" in why, why

    bob = world.console("bob", ["qa"])
    browser.get(gate_url(world, bob.url, name, COMPLIANCE))
    wait_for_text(browser, "#verdict", "You may decide this gate as bob")
    assert read(browser, "#approve", "disabled") is False, "the bar is alice's alone"


def test_the_release_page_follows_a_decision_made_elsewhere_without_a_reload(
    world: ConsoleWorld, browser: webdriver.Chrome
) -> None:
    name = "shop-live"
    waiting_release(world, name)
    carol = world.console("carol", ["qa"])
    browser.get(f"{carol.url}/releases/{world.namespace}/{name}")
    node = f'svg.dag a.node-link[data-step="{QA}"] g.node'
    wait_for_element(browser, node)
    browser.execute_script("window.sameDocument = true;")

    world.releases.approve(name, QA, as_user="bob", groups=["qa"])
    WebDriverWait(browser, LIVE_TIMEOUT, poll_frequency=0.05).until(
        lambda d: read(d, node, "data-phase") == "Succeeded", f"{QA} Succeeded in the DAG"
    )
    wait_for_text(browser, f'.gate-card[data-gate="{COMPLIANCE}"]', "you may decide")
    assert browser.execute_script("return window.sameDocument === true;"), "no reload"
