"""``appdeploy approve --attest`` and ``status``: what the person attests, read and shown."""

from __future__ import annotations

import pytest

from appdeploy.cli.attestation import AttestError, describe, parse_attest, shown_attest
from appdeploy.cli.release_view import status_text
from tests.unit.test_attested_approvals import AAA, waiting
from tests.unit.test_release_view import stored


def test_attest_flags_read_as_name_equals_value() -> None:
    assert parse_attest(["buildDigest=sha256:a=b", "notes="]) == {
        "buildDigest": "sha256:a=b",
        "notes": "",
    }
    with pytest.raises(AttestError, match="write NAME=VALUE"):
        parse_attest(["sha256:aaa"])
    with pytest.raises(AttestError, match="buildDigest is given twice"):
        parse_attest(["buildDigest=a", "buildDigest=b"])


def test_status_shows_what_a_waiting_gate_attests_and_approve_reads_it_there() -> None:
    sim = waiting(AAA)
    body = stored(sim)
    [row] = [
        line for line in status_text(body, sim.now).splitlines() if line.startswith("compliance ")
    ]
    assert row.endswith(f"approved: nobody yet; attests buildDigest={AAA}")
    assert shown_attest(body, "compliance") == {"buildDigest": AAA}
    assert shown_attest(body, "ship") == {}
    assert describe({"b": "2", "a": "1"}) == "a=1, b=2"
