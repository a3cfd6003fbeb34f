"""The gate page shows what an approval attests, and its form sends exactly those values back.

So a page read before the build was redone approves nothing: its hidden fields
still hold the old digest, and the webhook refuses them (the engine's words).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

from appdeploy.api.approvals import attest_of
from appdeploy.console.actions import decision_value
from appdeploy.console.page_context import gate_context
from appdeploy.console.person import Person
from appdeploy.console.render import fragment
from appdeploy.engine import DecisionKind
from tests.unit.console.stories import body_of
from tests.unit.test_attested_approvals import AAA, BBB, waiting

CAROL = Person("carol", ("compliance",))


class Form(HTMLParser):
    """The fields the browser submits with the form ``decide``."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = found.get("id") == "decide"
        elif tag == "input" and (self.inside or found.get("form") == "decide"):
            self.fields[str(found.get("name"))] = str(found.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def page_of(digest: str) -> tuple[str, dict[str, str]]:
    sim = waiting(digest)
    gated = gate_context(body_of(sim), "compliance", CAROL, sim.now)
    common = {"csrf": "t", "csrf_field": "csrf", "client_auth": False, "answer": None}
    html = fragment("gate.html", **gated, **common)
    form = Form()
    form.feed(html)
    return html, form.fields


def test_the_page_shows_the_values_and_the_approver_may_approve_attesting_them() -> None:
    sim = waiting(AAA)
    gated = gate_context(body_of(sim), "compliance", CAROL, sim.now)
    assert gated["panel"].attest == (("buildDigest", AAA),)
    assert gated["panel"].approve.may, gated["panel"].approve.reason
    state = fragment("_gate_state.html", **gated)
    assert f"<code>buildDigest={AAA}</code>" in state
    html, fields = page_of(AAA)
    said = html.split('id="you-attest">')[1].split("</p>")[0]
    assert said.startswith("Approving, you attest:") and f"<code>buildDigest={AAA}</code>" in said
    assert fields == {"csrf": "t", "attest.buildDigest": AAA}


def test_the_form_sends_back_what_the_page_showed_and_a_stale_page_is_refused() -> None:
    _, stale = page_of(AAA)
    value = decision_value(CAROL, DecisionKind.APPROVE, {**stale, "comment": "ok"})
    assert json.loads(value)["attest"] == {"buildDigest": AAA}
    assert attest_of(value) == (("buildDigest", AAA),)
    rebuilt = waiting(BBB)  # the build was redone: the gate now attests another digest
    decision = rebuilt.signed(
        DecisionKind.APPROVE, "compliance", "carol", ("compliance",), attest=dict(attest_of(value))
    )
    rebuilt.decisions[decision.annotation] = decision
    rebuilt.reconcile()
    assert rebuilt.step("compliance").approvals == []
    assert (
        f"you attested buildDigest={AAA}, but the gate now attests {BBB}"
        in (rebuilt.warnings()[-1])
    )


def test_each_recorded_approval_shows_what_it_attested() -> None:
    sim = waiting(AAA, required=2)
    sim.approve("compliance", "carol", ("compliance",), attest={"buildDigest": AAA})
    gated = gate_context(body_of(sim), "compliance", CAROL, sim.now)
    [carol] = gated["panel"].approvals
    assert carol.attest == f"buildDigest={AAA}"
    assert f'attested <code class="attested">buildDigest={AAA}</code>' in fragment(
        "_gate_state.html", **gated
    )


def test_a_rejection_sends_no_attested_values() -> None:
    _, fields = page_of(AAA)
    assert "attest" not in json.loads(decision_value(CAROL, DecisionKind.REJECT, fields))
