"""The Markdown report of a notifications bench run, and its results.json."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from bench.notifications.figures import WITH_CHANNEL, WITHOUT_CHANNEL, Latency, PhaseFigures
from bench.notifications.runner import RunResults
from bench.stats import Summary

RECONCILE_TITLES = ("Job completion → gate Waiting", "approval → release Succeeded")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _cells(summary: Summary | None) -> str:
    if summary is None:
        return "0 | - | - | -"
    return f"{summary.count} | {_ms(summary.p50)} | {_ms(summary.p99)} | {_ms(summary.max)}"


def _latency(phase: PhaseFigures, title: str) -> Latency | None:
    return next((latency for latency in phase.latencies if latency.title == title), None)


def _header(results: RunResults) -> list[str]:
    o, env = results.options, results.environment
    qps = o.controller_manager_qps or "stock (20)"
    return [
        "# Notifications bench",
        "",
        f"`{env.command}`",
        "",
        f"- {o.releases} releases per phase, phases: {', '.join(p.name for p in o.phases)}",
        f"- operator `--workers {o.workers} --delivery-workers {o.delivery_workers}`; "
        f"the fakes answer after {o.delay:g} s; kube-controller-manager qps: {qps}",
        f"- {env.date}; {env.cpus} x {env.cpu_model}, {env.memory_gib} GiB, Linux {env.kernel}; "
        f"load before {env.load_before}; other local clusters: {env.other_clusters}",
        f"- Python {env.python}, kopf {env.kopf}, kubernetes client {env.kubernetes_client}, "
        f"Kubernetes {env.server}",
        "",
    ]


def _reconcile_table(phases: list[PhaseFigures]) -> list[str]:
    lines = ["## Reconcile latency (the operator's reaction, with and without a channel)", ""]
    for title in RECONCILE_TITLES:
        lines += [f"**{title}**", "", "| phase | n | p50 | p99 | max |", "|---|---|---|---|---|"]
        for phase in phases:
            for group in ("", WITH_CHANNEL, WITHOUT_CHANNEL):
                latency = _latency(phase, title + group)
                if latency is not None:
                    lines.append(f"| {phase.name}{group} | {_cells(latency.summary)} |")
        lines.append("")
    lines += ["| phase | gates opened within | wall | reconciles / gate | conflicts | "
              "reconcile mean | reconcile p99 ≤ | operator CPU | API server CPU |",
              "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for p in phases:
        total = sum(p.reconciles.values())
        lines.append(
            f"| {p.name} | {p.gate_spread_seconds:.1f} s | {p.wall_seconds:.1f} s | "
            f"{total / p.releases:.2f} | {p.reconciles.get('conflict', 0):.0f} | "
            f"{p.reconcile_mean_ms:.1f} ms | {p.reconcile_p99_bound or 0:g} s | "
            f"{p.operator_cpu_seconds:.1f} s | {p.apiserver_cpu_seconds:.1f} s |"
        )
    return [*lines, ""]


def _delivery_table(phases: list[PhaseFigures]) -> list[str]:
    lines = [
        "## Delivery latency",
        "",
        "| phase | records | n | seen → provider p50 | p99 | max | createdAt → provider p50 "
        "| p99 | seen → Sent p50 | p99 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        if not phase.records:
            continue
        for label in ("GateOpened", "GateDecided", "all records"):
            seen = _latency(phase, f"delivery, {label}: record seen → provider has it")
            created = _latency(phase, f"delivery, {label}: createdAt → provider has it")
            sent = _latency(phase, f"delivery, {label}: record seen → Sent seen")
            if seen is None or seen.summary is None:
                continue
            s, c, t = seen.summary, created and created.summary, sent and sent.summary
            lines.append(
                f"| {phase.name} | {label} | {s.count} | {_ms(s.p50)} | {_ms(s.p99)} | "
                f"{_ms(s.max)} | {_ms(c.p50) if c else '-'} | {_ms(c.p99) if c else '-'} | "
                f"{_ms(t.p50) if t else '-'} | {_ms(t.p99) if t else '-'} |"
            )
    return [*lines, ""]


def _duplicates_table(phases: list[PhaseFigures]) -> list[str]:
    lines = [
        "## Receipts per record (at-least-once: duplicates counted, expected 0)",
        "",
        "| phase | records | receipts per record → records | duplicates | lost | failed "
        "| retried | provider calls |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in phases:
        if not p.records:
            continue
        spread = ", ".join(f"{k}: {v}" for k, v in p.receipts_per_record.items())
        calls = ", ".join(f"{k} {v}" for k, v in sorted(p.provider_calls.items()))
        lines.append(
            f"| {p.name} | {p.records} | {spread} | {p.duplicates} | "
            f"{p.receipts_per_record.get(0, 0)} | {p.failed} | {p.retried} | {calls} |"
        )
    return [*lines, ""]


def _requests_table(phases: list[PhaseFigures]) -> list[str]:
    keys = sorted({key for p in phases for key in p.requests})
    lines = [
        "## Operator API requests per release, one gate each (extra over the baseline in brackets)",
        "",
        "| request | " + " | ".join(p.name for p in phases) + " |",
        "|---|" + "---|" * len(phases),
    ]
    for key in [*keys, "total"]:
        cells = []
        for p in phases:
            if key == "total":
                value = sum(p.requests.values()) / p.releases
                extra = sum(p.extra_requests_per_gate.values())
            else:
                value = p.requests.get(key, 0.0) / p.releases
                extra = p.extra_requests_per_gate.get(key, 0.0)
            more = f" ({extra:+.2f})" if p.channel and p.extra_requests_per_gate else ""
            cells.append(f"{value:.2f}{more}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def render(results: RunResults, phases: list[PhaseFigures]) -> str:
    """The whole report."""
    return "\n".join(
        [
            *_header(results),
            *_reconcile_table(phases),
            *_delivery_table(phases),
            *_duplicates_table(phases),
            *_requests_table(phases),
        ]
    )


def save(results: RunResults, phases: list[PhaseFigures], path: Path) -> None:
    """results.json: the options, the environment and every phase's figures with raw samples."""
    body = {
        "options": dataclasses.asdict(results.options),
        "environment": dataclasses.asdict(results.environment),
        "phases": [dataclasses.asdict(phase) for phase in phases],
    }
    path.write_text(json.dumps(body, indent=1, default=str) + "\n")
