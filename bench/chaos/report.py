"""The chaos run as Markdown (what docs/reliability.md quotes) and as JSON."""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path
from typing import Any

from bench.chaos.runner import Outcome
from bench.chaos.verdict import Check


def _seconds(value: float | None, since: float) -> str:
    return "-" if value is None else f"{value - since:.1f}"


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    return (
        f"median {statistics.median(values):.1f} s, max {max(values):.1f} s "
        f"(min {min(values):.1f} s, n={len(values)})"
    )


def render(outcome: Outcome, checks: list[Check]) -> str:
    """The report: verdict, figures, the crash table, and anything that went wrong."""
    shape, env = outcome.plan.shape, outcome.environment
    failed = [check for check in checks if not check.passed]
    lines = [
        "# Chaos run",
        "",
        f"**{'PASSED' if not failed else 'FAILED'}**: "
        f"{len(checks) - len(failed)} of {len(checks)} invariants held.",
        "",
        f"- command: `{env.command}` (seed {shape.seed})",
        f"- date: {env.date}; {env.cpus} CPUs ({env.cpu_model}), {env.memory_gib} GiB, "
        f"kernel {env.kernel}; load before {env.load_before}; "
        f"{env.other_clusters} other local clusters on the same CPUs",
        f"- Kubernetes {env.server}, Python {env.python}, kopf {env.kopf}",
        f"- shape: {shape.releases} releases, {shape.kills} SIGKILLs "
        f"(+ failpoints {', '.join(shape.failpoints) or 'none'}), "
        f"{shape.apiserver_restarts} kube-apiserver and {shape.etcd_restarts} etcd restarts "
        f"over {shape.window:g} s",
        f"- took {outcome.finished_at - outcome.began:.0f} s from the releases' creation "
        f"to the last one finishing ({outcome.faults_done_at - outcome.began:.0f} s of faults)",
        "",
        "| invariant | held | figures |",
        "|---|---|---|",
        *(f"| {c.name} | {'yes' if c.passed else '**NO**'} | {c.detail} |" for c in checks),
        "",
        "## Recovery after each operator crash",
        "",
        "Seconds from the restart (the new process spawned, right after the death).",
        "",
        "| # | cause | → /healthz | → first reconcile | → next status write | note |",
        "|---|---|---|---|---|---|",
    ]
    for number, crash in enumerate(outcome.crashes, 1):
        lines.append(
            f"| {number} | {crash.cause} | {_seconds(crash.healthy_at, crash.restarted_at)} | "
            f"{_seconds(crash.reconciled_at, crash.restarted_at)} | "
            f"{_seconds(crash.status_written_at, crash.restarted_at)} | {crash.note} |"
        )
    healthy = [c.healthy_at - c.restarted_at for c in outcome.crashes if c.healthy_at]
    reconciled = [c.reconciled_at - c.restarted_at for c in outcome.crashes if c.reconciled_at]
    written = [c.status_written_at - c.restarted_at for c in outcome.crashes if c.status_written_at]
    lines += [
        "",
        f"- restart → /healthz: {_spread(healthy)}",
        f"- restart → first reconcile: {_spread(reconciled)}",
        f"- restart → next status write: {_spread(written)}",
        "",
        "## Control plane restarts",
        "",
        "| component | stop (SIGTERM) → ready | ready → next status write |",
        "|---|---|---|",
    ]
    for restarted, recovered in zip(outcome.restarts, outcome.restart_recovered_at, strict=True):
        lines.append(
            f"| {restarted.component} | {restarted.downtime:.1f} s | "
            f"{_seconds(recovered, restarted.ready_at)} s |"
        )
    tally = outcome.tally
    lines += [
        "",
        "## What else happened",
        "",
        f"- approval attempts tried again: {dict(tally.retries) or 'none'}",
        f"- approvals whose answer was lost and a retry found them stored: "
        f"{len(tally.lost_answers)}",
        f"- Job creates answered AlreadyExists (the operator finding its own Job after a "
        f"crash): {sum(outcome.audit.already_existed.values()) if outcome.audit else 0}; "
        f"other answers: {dict(outcome.audit.other) if outcome.audit else {}}",
        f"- Warning Events in the namespace: {outcome.warnings or 'none'}",
        *(
            f"  - {reason}, e.g. {sample[:200]}"
            for reason, sample in outcome.warning_samples.items()
        ),
        f"- operator log lines with Traceback/ERROR/CRITICAL: "
        f"{outcome.operator_log_problems or 'none'}",
        f"- the chaos's own release watch reconnected {outcome.release_watch_outages} times; "
        f"the Job watch re-listed {outcome.watch_gaps} times",
    ]
    return "\n".join(lines) + "\n"


def save(outcome: Outcome, checks: list[Check], path: Path) -> None:
    """Raw figures as JSON (bodies left out: they are in the cluster, if kept)."""
    raw: dict[str, Any] = {
        "shape": dataclasses.asdict(outcome.plan.shape),
        "faults": [dataclasses.asdict(fault) for fault in outcome.plan.faults],
        "environment": dataclasses.asdict(outcome.environment),
        "checks": [dataclasses.asdict(check) for check in checks],
        "crashes": [dataclasses.asdict(crash) for crash in outcome.crashes],
        "restarts": [dataclasses.asdict(restarted) for restarted in outcome.restarts],
        "phases": outcome.phases,
        "approval_retries": dict(outcome.tally.retries),
        "approvals_refused": outcome.tally.refused,
        "warnings": outcome.warnings,
        "warning_samples": outcome.warning_samples,
        "stuck": outcome.stuck,
        "unexpected_exits": outcome.unexpected_exits,
    }
    path.write_text(json.dumps(raw, indent=2, default=str) + "\n")
