"""From what a phase saw to the figures the report shows (and results.json keeps).

Latencies are differences of stamps on the bench's monotonic clock (watch
event arrival, a request's return, a fake's receipt), except "createdAt →
receipt", which compares the record's whole-second ``createdAt`` with the
fake's wall clock (so it reads up to 1 s long).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench import prom
from bench.notifications.outbox import SeenRecord
from bench.notifications.runner import PhaseRun
from bench.notifications.shape import RUN_STEP
from bench.notifications.sinks import Receipt
from bench.stats import Summary, summarize
from bench.timeline import ReleaseRecord

RECONCILE_SECONDS = "appdeploy_reconcile_duration_seconds"
WITH_CHANNEL = " (its gates notify)"
WITHOUT_CHANNEL = " (its gates name no channel)"


@dataclass(frozen=True)
class Latency:
    title: str
    measures: str
    summary: Summary | None
    samples: list[float]


@dataclass
class PhaseFigures:
    """One phase's figures."""

    name: str
    channel: str | None
    releases: int
    wall_seconds: float
    gate_spread_seconds: float
    """First gate Waiting seen → last gate Waiting seen: how "at once" the gates opened."""
    latencies: list[Latency]
    records: int
    records_by_event: dict[str, int]
    receipts_per_record: dict[int, int]
    """Accepted receipts → how many records had that many (0 is a lost record)."""
    duplicates: int
    """Accepted receipts beyond the first, summed over records."""
    failed: int
    retried: int
    """Records that took more than one attempt."""
    provider_calls: dict[str, int]
    requests: dict[str, float]
    """Operator API requests over the phase, by "verb resource"."""
    reconciles: dict[str, float]
    reconcile_mean_ms: float
    reconcile_p99_bound: float | None
    notifications: dict[str, float]
    """appdeploy_notifications_total over the phase, by outcome."""
    operator_cpu_seconds: float
    apiserver_cpu_seconds: float
    host_busy_seconds: float
    extra_requests_per_gate: dict[str, float] = field(default_factory=dict)
    """(requests per release) minus the baseline's, by "verb resource" (set by ``compare``)."""


def _series(title: str, measures: str, samples: list[float]) -> Latency:
    return Latency(title, measures, summarize(samples), samples)


def _first_accepted(receipts: list[Receipt]) -> Receipt | None:
    return min((r for r in receipts if r.accepted), key=lambda r: r.arrived, default=None)


def _delivery(
    records: dict[str, SeenRecord], receipts: dict[str, list[Receipt]], event: str | None
) -> tuple[list[float], list[float], list[float]]:
    """For ``event``'s records: seen → receipt, createdAt → receipt, seen → Sent seen."""
    seen, created, sent = [], [], []
    for record_id, record in records.items():
        if event is not None and record.event != event:
            continue
        first = _first_accepted(receipts.get(record_id, []))
        if first is not None:
            seen.append(first.arrived - record.first_seen)
            created.append(first.arrived_wall - record.created_wall())
        if record.sent_seen is not None:
            sent.append(record.sent_seen - record.first_seen)
    return seen, created, sent


def _reconcile_series(releases: list[ReleaseRecord], group: str) -> list[Latency]:
    job_to_gate = [
        r.gate_waiting - done
        for r in releases
        if r.gate_waiting is not None and (done := r.job_complete.get(RUN_STEP)) is not None
    ]
    approval_to_done = [
        r.finished - r.approval_returned
        for r in releases
        if r.finished is not None and r.approval_returned is not None
    ]
    return [
        _series(
            f"Job completion → gate Waiting{group}",
            "build Job Complete seen on the Job watch → status.steps[qa] Waiting seen "
            "on the release watch (the status write that also adds GateOpened)",
            job_to_gate,
        ),
        _series(
            f"approval → release Succeeded{group}",
            "the approval PATCH returned → phase Succeeded seen (the write that adds GateDecided)",
            approval_to_done,
        ),
    ]


def phase_figures(run: PhaseRun) -> PhaseFigures:
    """The figures of one phase (a mixed phase: also its two halves apart)."""
    releases = list(run.releases.values())
    opened = [r.gate_waiting for r in releases if r.gate_waiting is not None]
    latencies = _reconcile_series(releases, "")
    if run.phase.every > 1:
        names = list(run.releases)
        notifying = [run.releases[n] for i, n in enumerate(names) if run.phase.channel_of(i)]
        silent = [run.releases[n] for i, n in enumerate(names) if not run.phase.channel_of(i)]
        latencies += _reconcile_series(notifying, WITH_CHANNEL)
        latencies += _reconcile_series(silent, WITHOUT_CHANNEL)
    records: dict[str, SeenRecord] = run.records
    receipts: dict[str, list[Receipt]] = run.receipts
    if records:
        for event in ("GateOpened", "GateDecided", None):
            seen, created, sent = _delivery(records, receipts, event)
            label = event or "all records"
            latencies += [
                _series(
                    f"delivery, {label}: record seen → provider has it",
                    "the record first seen in status → its request arrived at the fake",
                    seen,
                ),
                _series(
                    f"delivery, {label}: createdAt → provider has it",
                    "createdAt (whole seconds) → arrival at the fake, wall clocks",
                    created,
                ),
                _series(
                    f"delivery, {label}: record seen → Sent seen",
                    "first seen → seen Sent in status (includes the fake's slow answer)",
                    sent,
                ),
            ]
    accepted = Counter(
        sum(1 for r in receipts.get(record_id, []) if r.accepted) for record_id in records
    )
    samples = run.operator
    requests = prom.total(samples, "appdeploy_api_requests_total", ("verb", "resource"))
    reconciles = prom.total(samples, "appdeploy_reconciles_total", ("result",))
    reconcile_count = sum(reconciles.values())
    reconcile_sum = sum(prom.total(samples, f"{RECONCILE_SECONDS}_sum").values())
    notifications = prom.total(samples, "appdeploy_notifications_total", ("outcome",))
    return PhaseFigures(
        name=run.phase.name,
        channel=run.phase.channel,
        releases=len(run.releases),
        wall_seconds=run.ended - run.began,
        gate_spread_seconds=(max(opened) - min(opened)) if opened else 0.0,
        latencies=latencies,
        records=len(records),
        records_by_event=dict(Counter(r.event for r in records.values())),
        receipts_per_record=dict(sorted(accepted.items())),
        duplicates=sum((count - 1) * n for count, n in accepted.items() if count > 1),
        failed=sum(1 for r in records.values() if r.state == "Failed"),
        retried=sum(1 for r in records.values() if r.attempts > 1),
        provider_calls=run.provider_calls,
        requests={f"{verb} {resource}": n for (verb, resource), n in sorted(requests.items())},
        reconciles={result: n for (result,), n in sorted(reconciles.items())},
        reconcile_mean_ms=1000 * reconcile_sum / reconcile_count if reconcile_count else 0.0,
        reconcile_p99_bound=prom.histogram_quantile(samples, RECONCILE_SECONDS, 0.99),
        notifications={outcome: n for (outcome,), n in sorted(notifications.items())},
        operator_cpu_seconds=run.cpu.operator,
        apiserver_cpu_seconds=run.cpu.components.get("kube-apiserver", 0.0),
        host_busy_seconds=run.cpu.host_busy,
    )


def compare(phases: list[PhaseFigures]) -> None:
    """Fill each phase's requests per gate beyond the baseline's (the phase with no channel)."""
    baseline = next((p for p in phases if p.channel is None), None)
    if baseline is None:
        return
    for phase in phases:
        keys = set(phase.requests) | set(baseline.requests)
        phase.extra_requests_per_gate = {
            key: phase.requests.get(key, 0.0) / phase.releases
            - baseline.requests.get(key, 0.0) / baseline.releases
            for key in sorted(keys)
        }
