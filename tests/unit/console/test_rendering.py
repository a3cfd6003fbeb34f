"""Pages render what status recorded, and attacker-written text stays text."""

from __future__ import annotations

from html.parser import HTMLParser

from appdeploy.console.page_context import gate_context, release_context
from appdeploy.console.person import Person
from appdeploy.console.render import fragment
from tests.unit.console.stories import body_of
from tests.unit.harness import Simulation

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
ALICE = Person("alice", ("qa",))


class Elements(HTMLParser):
    """Every start tag and its attributes, as a browser's parser would build them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    return elements


def hostile_release() -> Simulation:
    sim = Simulation(
        {
            "app": "shop",
            "version": "1.0.0",
            "params": {"note": HOSTILE},
            "steps": [
                {"name": "build", "run": {"image": "builder"}},
                {
                    "name": "qa",
                    "needs": ["build"],
                    "gate": {
                        "approvers": {"groups": ["qa"]},
                        "description": "check $(params.note) and $(steps.build.outputs.n)",
                    },
                },
            ],
        }
    )
    sim.reconcile()
    sim.complete("build", outputs='{"n": "' + HOSTILE.replace('"', '\\"') + '"}')
    return sim


def test_hostile_outputs_and_descriptions_render_as_text_on_every_fragment() -> None:
    sim = hostile_release()
    body = body_of(sim)
    context = release_context(body, ALICE, sim.now, (True, ""))
    gated = gate_context(body, "qa", ALICE, sim.now)
    common = {"csrf": "t", "csrf_field": "csrf"}
    pages = [
        fragment(name, **context, **common)
        for name in ("_summary.html", "_steps.html", "_gates.html", "_actions.html")
    ]
    pages += [fragment(n, **gated, **common) for n in ("_gate_state.html", "_gate_buttons.html")]
    pages.append(str(context["dag"]))
    for html in pages:
        tags = parsed(html).tags
        assert not [t for t, _ in tags if t in ("script", "img")], html
        assert not [a for _, attrs in tags for a in attrs if a.startswith("on")], html
    steps_html = pages[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in steps_html, "shown, literally"
    assert gated["panel"].description == f"check {HOSTILE} and {HOSTILE}"


def test_the_release_page_shows_what_status_recorded() -> None:
    sim = hostile_release()
    context = release_context(body_of(sim), ALICE, sim.now, (False, "RBAC says no"))
    steps = {step.name: step for step in context["steps"]}
    assert (steps["build"].phase, steps["build"].attempts) == ("Succeeded", 1)
    assert steps["build"].outputs == (("n", HOSTILE),)
    assert steps["qa"].phase == "Waiting"
    actions = fragment("_actions.html", **context, csrf="t", csrf_field="csrf")
    assert "Retry and cancel are not available to you: RBAC says no" in actions
    assert 'id="cancel"' not in actions
