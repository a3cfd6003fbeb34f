"""``appdeploy status`` says who wrote each run's spec, and whether a break-glass holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from appdeploy.api.attribution import BREAK_GLASS, SpecClaim
from appdeploy.api.spec_hash import spec_hash
from appdeploy.cli.release_view import status_text
from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SPEC = {"app": "shop", "version": "1.0.1", "steps": [{"name": "b", "run": {"image": "i"}}]}


def stored(annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "rel", "annotations": annotations or {}},
        "spec": SPEC,
        "status": {
            "run": 2,
            "phase": "Running",
            "author": "bob",
            "specHash": spec_hash(SPEC),
            "history": [
                {
                    "run": 1,
                    "version": "1.0.0",
                    "phase": "Superseded",
                    "finishedAt": "2026-12-02T08:00:00Z",
                    "author": "alice",
                    "specHash": "sha256:0123456789abcdef",
                },
                {"run": 0, "version": "0.9", "phase": "Succeeded", "author": ""},
            ],
        },
    }


def glass(spec: dict[str, Any] = SPEC, signature: str = "ab" * 32) -> str:
    claim = SpecClaim(BREAK_GLASS, "sam", ("sre-oncall",), spec_hash(spec), 2, NOW, "CVE fix")
    return SpecClaim(**{**claim.__dict__, "signature": signature}).to_annotation()


def test_status_names_the_runs_author_and_every_earlier_runs() -> None:
    text = status_text(stored(), NOW)
    assert f"spec by bob ({spec_hash(SPEC)[:19]})" in text.splitlines()
    history = text.split("\n\n")[-1].splitlines()
    assert history[0].split() == ["RUN", "VERSION", "PHASE", "ENDED", "AUTHOR", "SPEC"]
    assert history[1].split() == [
        "1",
        "1.0.0",
        "Superseded",
        "2026-12-02T08:00:00Z",
        "alice",
        "sha256:0123456789ab",
    ]
    assert history[2].split()[-2:] == ["-", "-"]


def test_status_shows_a_break_glass_and_whether_it_holds_for_this_spec() -> None:
    current = status_text(stored({BREAK_GLASS_ANNOTATION: glass()}), NOW)
    assert (
        "break-glass: by sam (sre-oncall) at 2026-12-02T09:00:00Z, for this spec: CVE fix"
    ) in current
    stale = status_text(stored({BREAK_GLASS_ANNOTATION: glass({**SPEC, "version": "1"})}), NOW)
    assert "for another spec: not honoured" in stale
    unsigned = json.dumps({"reason": "trust me"})
    assert "(unsigned: not honoured)" in status_text(
        stored({BREAK_GLASS_ANNOTATION: unsigned}), NOW
    )
    assert "break-glass" not in status_text(stored(), NOW)
