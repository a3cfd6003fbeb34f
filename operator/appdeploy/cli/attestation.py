"""What ``approve`` attests to: the values the gate shows in status, or those given by hand.

A gate that declares ``attest`` shows its resolved values in
``status.steps[].attest``; ``appdeploy approve`` reads them there, says
"You attest: buildDigest=…" and puts them in the decision, where the webhook
signs them. ``--attest NAME=VALUE`` states them explicitly instead (a digest
copied from a CI log): if they differ from what the gate attests now, the
approval is refused and nothing is stored (docs/run-semantics.md, "Attested approvals").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class AttestError(ValueError):
    """An ``--attest`` flag that does not read as NAME=VALUE."""


def parse_attest(flags: Sequence[str]) -> dict[str, str]:
    """``["buildDigest=sha256:aa"]`` -> ``{"buildDigest": "sha256:aa"}``; AttestError if not."""
    values: dict[str, str] = {}
    for flag in flags:
        name, sep, value = flag.partition("=")
        name = name.strip()
        if not sep or not name:
            raise AttestError(f"--attest {flag}: write NAME=VALUE, e.g. buildDigest=sha256:…")
        if name in values:
            raise AttestError(f"--attest {name} is given twice; give each name once")
        values[name] = value
    return values


def shown_attest(body: Mapping[str, Any], gate: str) -> dict[str, str]:
    """The values the gate shows its approvers now (empty: it asks nothing, or is not open)."""
    for step in (body.get("status") or {}).get("steps") or []:
        if step.get("name") == gate:
            return {str(key): str(value) for key, value in (step.get("attest") or {}).items()}
    return {}


def describe(values: Mapping[str, str]) -> str:
    """``buildDigest=sha256:aa, notes=read`` in name order."""
    return ", ".join(f"{key}={value}" for key, value in sorted(values.items()))
