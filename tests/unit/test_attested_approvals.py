"""Attested approvals: an approval states the values the gate shows, and is signed with them.

Without it, an approval says who approved but not what: approving a build from
a page read before the build was redone would approve the new one.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from appdeploy.api.approvals import Envelope, Target, read_envelope
from appdeploy.api.timestamps import format_timestamp
from appdeploy.engine import DecisionKind, Release, check_decision
from appdeploy.k8s.annotations import read_decision
from tests.unit.harness import T0, UID, Simulation
from tests.unit.test_approvals import AT, KEY, SHOP

AAA, BBB = "sha256:aaa", "sha256:bbb"


def attested_spec() -> dict[str, Any]:
    return {
        "app": "shop",
        "version": "4.12.0",
        "steps": [
            {"name": "build-ios", "run": {"image": "builder"}},
            {
                "name": "compliance",
                "needs": ["build-ios"],
                "gate": {
                    "approvers": {"groups": ["compliance"]},
                    "attest": {"buildDigest": "$(steps.build-ios.outputs.ipaSha256)"},
                },
            },
            {"name": "ship", "needs": ["compliance"], "run": {"image": "shipper"}},
        ],
    }


def waiting(digest: str = AAA, **gate: Any) -> Simulation:
    spec = attested_spec()
    spec["steps"][1]["gate"].update(gate)
    sim = Simulation(spec)
    sim.reconcile()
    sim.complete("build-ios", json.dumps({"ipaSha256": digest}))
    assert sim.step("compliance").phase == "Waiting"
    return sim


def approve(sim: Simulation, user: str = "carol", **attest: str) -> None:
    sim.approve("compliance", user, ("compliance",), attest=attest or None)


def test_the_gate_shows_the_resolved_values_when_it_opens() -> None:
    assert waiting().step("compliance").attest == {"buildDigest": AAA}


def test_an_approval_attesting_the_shown_values_passes_and_is_kept_with_them() -> None:
    sim = waiting()
    approve(sim, buildDigest=AAA)
    gate = sim.step("compliance")
    assert gate.phase == "Succeeded"
    assert [(a.user, a.attest, a.verified) for a in gate.approvals] == [
        ("carol", {"buildDigest": AAA}, True)
    ]
    assert sim.model.decisions[-1].attest == {"buildDigest": AAA}
    assert sim.step("ship").phase == "Running"


def test_an_approval_of_other_values_is_refused_naming_the_key_and_both_values() -> None:
    sim = waiting(BBB)
    approve(sim, buildDigest=AAA)
    assert sim.step("compliance").approvals == []
    assert (
        "you attested buildDigest=sha256:aaa, but the gate now attests sha256:bbb: read it again"
        in sim.warnings()[-1]
    )


def test_an_approval_attesting_nothing_is_refused_and_says_what_to_attest() -> None:
    sim = waiting()
    approve(sim)
    assert sim.step("compliance").approvals == []
    assert "compliance asks you to attest buildDigest=sha256:aaa" in sim.warnings()[-1]


def test_an_approval_attesting_a_name_the_gate_does_not_ask_for_is_refused() -> None:
    sim = waiting()
    approve(sim, buildDigest=AAA, buildDigset=AAA)
    assert sim.step("compliance").approvals == []
    assert "does not ask to attest buildDigset" in sim.warnings()[-1]


def test_a_gate_whose_value_was_not_produced_cannot_be_approved_but_can_be_rejected() -> None:
    attest = {"buildDigest": "$(steps.build-ios.outputs.ipaSha256)"}
    sim = waiting(attest={**attest, "notes": "$(steps.build-ios.outputs.notes)"})
    assert sim.step("compliance").attest == {"buildDigest": AAA}, "unresolved values are left out"
    approve(sim, buildDigest=AAA)
    assert "there is no value of notes to attest" in sim.warnings()[-1]
    sim.reject("compliance", "carol", ("compliance",), comment="no release notes")
    assert sim.step("compliance").phase == "Failed", "a rejection need not attest"


def test_an_attested_value_altered_in_status_is_not_counted() -> None:
    sim = waiting()
    approve(sim, user="carol", buildDigest=AAA)
    tampered = copy.deepcopy(sim.status or {})
    gate = next(step for step in tampered["steps"] if step["name"] == "compliance")
    gate["approvals"][0]["attest"] = {"buildDigest": BBB}
    sim.status = tampered
    sim.advance(timedelta(minutes=1))
    assert sim.step("compliance").approvals[0].verified is False
    assert sim.step("compliance").phase == "Failed", "the gate no longer passes"


def test_an_approval_stops_counting_when_the_output_it_attested_changes() -> None:
    sim = waiting(required=2)
    approve(sim, user="carol", buildDigest=AAA)
    tampered = copy.deepcopy(sim.status or {})
    build = next(step for step in tampered["steps"] if step["name"] == "build-ios")
    build["outputs"] = {"ipaSha256": BBB}
    sim.status = tampered
    sim.advance(timedelta(minutes=1))
    assert [a.verified for a in sim.step("compliance").approvals] == [False]


def test_the_webhook_and_the_cli_ask_the_same_question() -> None:
    sim = waiting(BBB)
    decision = sim.signed(DecisionKind.APPROVE, "compliance", "carol", ("compliance",))
    release = Release(sim.name, "ns", sim.generation, sim.spec, sim.status, uid=UID)
    assert "asks you to attest buildDigest=sha256:bbb" in check_decision(release, decision, T0)


def test_an_envelope_without_attest_signs_exactly_the_old_payload() -> None:
    envelope = Envelope("approve", "qa-signoff", "alice", ("qa",), "ok", AT, 3)
    old = [1, *SHOP.__dict__.values(), "approve", "qa-signoff", "alice", ["qa"], "ok"]
    old += [format_timestamp(AT), 3]
    assert envelope.payload(SHOP) == json.dumps(old, separators=(",", ":")).encode()
    expected = hmac.new(KEY, envelope.payload(SHOP), hashlib.sha256).hexdigest()
    assert envelope.signed(KEY, SHOP).signature == expected
    assert "attest" not in envelope.signed(KEY, SHOP).to_annotation()


def test_the_signature_covers_the_attested_values() -> None:
    pairs = (("buildDigest", AAA),)
    envelope = Envelope("approve", "compliance", "carol", (), "", AT, 3, attest=pairs)
    value = envelope.signed(KEY, SHOP).to_annotation()
    key = "approve.appdeploy.dev/compliance"
    decision = read_decision(key, value, SHOP, KEY)
    assert decision is not None and decision.verified and decision.attest == pairs
    altered = read_decision(key, value.replace(AAA, BBB), SHOP, KEY)
    assert altered is not None and altered.problem and not altered.verified
    dropped = json.loads(value)
    del dropped["attest"]
    read = read_envelope("approve", "compliance", json.dumps(dropped))
    assert read is not None and not read.verify(KEY, SHOP)
    assert (
        not Envelope("approve", "compliance", "carol", (), "", AT, 3)
        .signed(KEY, Target("x", "y", "z"))
        .verify(KEY, SHOP)
    )
