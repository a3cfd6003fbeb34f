"""The invariants a chaos run must keep, checked on what the API server holds at the end.

1. Every release Succeeded.
2. Exactly one Job was created per (release, run, step, attempt) that the
   releases' status says was started, and none for any other: from the audit
   log (every create the API server answered 201; a create answered 5xx may
   have stored its Job, so such an attempt may lack its 201) and, as the
   second witness the integration tests use, from the distinct Job uids a
   watch saw.
3. Approvals recorded = approvals sent: the (release, gate, person) the API
   server accepted from the approvers are exactly those in the gates'
   ``approvals`` and exactly the approvals in the audit trail
   ``status.decisions``, and every one of them verified (signed).
4. No approval by an allowed person of a waiting gate was refused, neither by
   the webhooks nor by the operator (an ApprovalRefused Event).
5. After every crash the new operator finished a reconcile in time (not stuck).
6. The operator never exited unless the chaos killed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appdeploy.engine.reasons import Reason
from bench.chaos.runner import Outcome

REFUSED_EVENT = str(Reason.APPROVAL_REFUSED)
"""Every approval here is rightful: the operator refusing one (even a replay) is a failure."""
Key = tuple[str, str, str, str]
"""(release, run, step, attempt)."""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def started_attempts(releases: dict[str, dict[str, Any]]) -> set[Key]:
    """Every Job the releases' status says was started: attempts 1..n of each run step."""
    started = set()
    for name, body in releases.items():
        status = body.get("status") or {}
        run = str(status.get("run", ""))
        for step in status.get("steps") or []:
            for attempt in range(1, int(step.get("attempts") or 0) + 1):
                started.add((name, run, step["name"], str(attempt)))
    return started


def _recorded(releases: dict[str, dict[str, Any]]) -> tuple[set[Any], set[Any], list[str]]:
    in_gates, in_decisions, unverified = set(), set(), []
    for name, body in releases.items():
        status = body.get("status") or {}
        for step in status.get("steps") or []:
            for approval in step.get("approvals") or []:
                in_gates.add((name, step["name"], approval["user"]))
                if not approval.get("verified"):
                    unverified.append(f"{name}/{step['name']} by {approval['user']}")
        for decision in status.get("decisions") or []:
            if decision.get("kind") == "approve":
                in_decisions.add((name, decision.get("target", ""), decision["user"]))
                if not decision.get("verified"):
                    unverified.append(f"{name} decision by {decision['user']} (audit trail)")
    return in_gates, in_decisions, unverified


def _diff(expected: set[Any], got: set[Any]) -> str:
    missing, extra = sorted(expected - got)[:5], sorted(got - expected)[:5]
    return f"missing {missing}, unexpected {extra}"


def _creation_check(
    name: str, counts: dict[Key, int], started: set[Key], unsure: frozenset[Key] = frozenset()
) -> Check:
    """Each started attempt created once; ``unsure``: attempts whose create got no clear answer."""
    twice = sorted(key for key, count in counts.items() if count > 1)
    keys = {key for key, count in counts.items() if count}
    unexplained = started - keys - unsure
    passed = not twice and keys <= started and not unexplained
    detail = f"{len(started)} attempts started, {sum(counts.values())} Jobs created"
    if lost := (started - keys) & unsure:
        detail += f", {len(lost)} more created with their answer lost (5xx)"
    if twice:
        detail += f"; created more than once: {twice[:5]}"
    if keys - started or unexplained:
        detail += (
            f"; never created {sorted(unexplained)[:5]}, not started {sorted(keys - started)[:5]}"
        )
    return Check(name, passed, detail)


def checks(outcome: Outcome) -> list[Check]:
    """Every invariant, passed or not, with the figures behind it."""
    expected = len(outcome.plan.releases)
    succeeded = sum(phase == "Succeeded" for phase in outcome.phases.values())
    others = sorted(
        f"{n}: {p or 'no status'}" for n, p in outcome.phases.items() if p != "Succeeded"
    )
    result = [
        Check(
            "releases completed",
            succeeded == expected,
            f"{succeeded} of {expected} Succeeded" + (f"; {others[:5]}" if others else ""),
        )
    ]

    started = started_attempts(outcome.releases)
    assert outcome.audit is not None
    result.append(
        _creation_check(
            "one Job per (run, step, attempt), audit log",
            dict(outcome.audit.created),
            started,
            frozenset(outcome.audit.unknown),
        )
    )
    watched = {
        (release, run, step, attempt): count
        for release, counts in outcome.watched.items()
        for (run, step, attempt), count in counts.items()
    }
    check = _creation_check("one Job per (run, step, attempt), Job watch", watched, started)
    if outcome.watch_gaps:
        check = Check(check.name, check.passed, f"{check.detail}; {outcome.watch_gaps} re-lists")
    result.append(check)

    sent = outcome.tally.sent
    in_gates, in_decisions, unverified = _recorded(outcome.releases)
    result.append(
        Check(
            "approvals recorded = sent",
            sent == in_gates == in_decisions and not unverified,
            f"{len(sent)} sent, {len(in_gates)} in the gates, {len(in_decisions)} in "
            f"status.decisions, {len(unverified)} unverified"
            + ("" if sent == in_gates else "; gates vs sent: " + _diff(sent, in_gates))
            + ("" if sent == in_decisions else "; decisions vs sent: " + _diff(sent, in_decisions))
            + (f"; unverified: {unverified[:5]}" if unverified else ""),
        )
    )
    refused = outcome.tally.refused
    events = outcome.warnings.get(REFUSED_EVENT, 0)
    result.append(
        Check(
            "no rightful approval refused",
            not refused and not events,
            f"{len(refused)} refused by the webhooks, {events} {REFUSED_EVENT} Events"
            + (f": {refused[:3]}" if refused else "")
            + (f"; e.g. {outcome.warning_samples.get(REFUSED_EVENT)}" if events else ""),
        )
    )
    stuck = outcome.stuck
    result.append(
        Check(
            "the operator recovered from every crash",
            not stuck,
            f"{len(outcome.crashes)} crashes, {len(stuck)} without a reconcile in time"
            + (f": {stuck[:3]}" if stuck else ""),
        )
    )
    exits = outcome.unexpected_exits
    result.append(
        Check(
            "the operator died only when killed",
            not exits,
            f"{len(exits)} other exits" + (f": {exits[:3]}" if exits else ""),
        )
    )
    return result
