"""Who wrote each run's spec, and any break-glass, as ``appdeploy status`` shows them.

Pure formatting of the stored object. The author is what the operator
recorded when the run started (verified then); the break-glass annotation is
shown as stored, with whether it names the current spec: only the operator
checks its signature, so an unsigned or stale one is marked as not honoured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appdeploy.api.attribution import BREAK_GLASS, read_claim
from appdeploy.api.spec_hash import spec_hash
from appdeploy.api.status import AppDeploymentStatus
from appdeploy.api.text import escape_line
from appdeploy.api.timestamps import format_timestamp
from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION

HASH_SHOWN = 19
"""``sha256:`` and the first 12 hex digits: enough to tell specs apart at a glance."""


def short_hash(digest: str) -> str:
    """The start of a spec hash, or ``-``."""
    return digest[:HASH_SHOWN] if digest else "-"


def attribution_lines(body: Mapping[str, Any], status: AppDeploymentStatus) -> list[str]:
    """``spec by alice (sha256:…)`` for the current run, and the break-glass line if any."""
    lines = []
    if status.author or status.spec_hash:
        lines.append(
            f"spec by {escape_line(status.author) or '-'} ({short_hash(status.spec_hash)})"
        )
    glass = break_glass_line(body)
    if glass:
        lines.append(glass)
    return lines


def break_glass_line(body: Mapping[str, Any]) -> str:
    """The stored break-glass override, and whether it can hold for the current spec."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(BREAK_GLASS_ANNOTATION)
    if value is None:
        return ""
    try:
        claim = read_claim(BREAK_GLASS, str(value))
    except ValueError:
        claim = None
    if claim is None or not claim.signature:
        return f"break-glass: {escape_line(str(value))} (unsigned: not honoured)"
    current = claim.spec_hash == spec_hash(body.get("spec") or {})
    scope = "for this spec" if current else "for another spec: not honoured"
    groups = ", ".join(claim.groups) or "no groups"
    return (
        f"break-glass: by {escape_line(claim.user)} ({escape_line(groups)}) at "
        f"{format_timestamp(claim.at) if claim.at else '-'}, {scope}: {escape_line(claim.reason)}"
    )


def history_rows(status: AppDeploymentStatus) -> list[list[str]]:
    """The earlier runs, newest first, each with who wrote its spec (a table's rows)."""
    rows = [["RUN", "VERSION", "PHASE", "ENDED", "AUTHOR", "SPEC"]]
    for entry in status.history:
        rows.append(
            [
                str(entry.run),
                entry.version or "-",
                entry.phase,
                format_timestamp(entry.finished_at) if entry.finished_at else "-",
                escape_line(entry.author) or "-",
                short_hash(entry.spec_hash),
            ]
        )
    return rows
