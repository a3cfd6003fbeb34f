"""Signed approval envelopes: made by the webhook, checked by the operator."""

from __future__ import annotations

from datetime import UTC, datetime

from appdeploy.api.approvals import Envelope, Target, comment_of, read_envelope
from appdeploy.engine import DecisionKind
from appdeploy.k8s.annotations import FORGED, read_decision

KEY = b"0123456789abcdef0123456789abcdef"
SHOP = Target("mobile-releases", "shop-4-12-0", "uid-1")
AT = datetime(2026, 11, 27, 10, 2, tzinfo=UTC)


def signed(**changes: object) -> Envelope:
    fields: dict[str, object] = {
        "kind": "approve",
        "gate": "qa-signoff",
        "user": "alice",
        "groups": ("qa",),
        "comment": "ok on iPhone 15",
        "at": AT,
        "run": 3,
    }
    fields.update(changes)
    return Envelope(**fields).signed(KEY, SHOP)  # type: ignore[arg-type]


def test_a_signed_envelope_round_trips_and_verifies() -> None:
    value = signed().to_annotation()
    decision = read_decision("approve.appdeploy.dev/qa-signoff", value, SHOP, KEY)
    assert decision is not None
    assert (decision.user, decision.groups, decision.comment, decision.verified, decision.run) == (
        "alice",
        ("qa",),
        "ok on iPhone 15",
        True,
        3,
    )
    assert decision.at == AT


def test_an_altered_or_copied_envelope_is_forged() -> None:
    value = signed().to_annotation()
    tampered = value.replace('"alice"', '"mallory"')
    cases = [
        ("approve.appdeploy.dev/qa-signoff", tampered, SHOP),
        ("approve.appdeploy.dev/compliance", value, SHOP),
        ("reject.appdeploy.dev/qa-signoff", value, SHOP),
        ("approve.appdeploy.dev/qa-signoff", value, Target("mobile-releases", "other", "uid-2")),
    ]
    for key, annotation, target in cases:
        decision = read_decision(key, annotation, target, KEY)
        assert decision is not None and decision.problem == FORGED, key
    wrong_key = read_decision("approve.appdeploy.dev/qa-signoff", value, SHOP, b"x" * 32)
    assert wrong_key is not None and wrong_key.problem == FORGED


def test_unsigned_values_are_unverified() -> None:
    claimed = read_decision(
        "approve.appdeploy.dev/qa", '{"user": "alice", "groups": ["qa"]}', SHOP, KEY
    )
    assert claimed is not None
    assert (claimed.user, claimed.verified, claimed.problem, claimed.run) == (
        "alice",
        False,
        "",
        None,
    )
    plain = read_decision("approve.appdeploy.dev/qa", "lgtm", SHOP, KEY)
    assert plain is not None and (plain.kind, plain.user, plain.comment) == (
        DecisionKind.APPROVE,
        None,
        "lgtm",
    )


def test_only_the_comment_survives_from_what_a_caller_wrote() -> None:
    assert comment_of("  looks good ") == "looks good"
    assert comment_of('{"user": "ceo", "groups": ["qa"], "comment": "trust me"}') == "trust me"
    assert read_envelope("approve", "qa", "not json") is None
