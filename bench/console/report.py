"""The Markdown report of a console bench run, and its results.json (every sample)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from bench.console.live import latencies
from bench.console.runner import RunResults
from bench.stats import percentile, summarize

COLUMNS = ["| figure | n | p50 | p99 | max | mean |", "|---|---|---|---|---|---|"]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def row(title: str, samples: Sequence[float]) -> str:
    """One table row: n, p50, p99, max, mean (nearest rank)."""
    summary = summarize(samples)
    if summary is None:
        return f"| {title} | 0 | - | - | - | - |"
    return (
        f"| {title} | {summary.count} | {ms(summary.p50)} | {ms(summary.p99)} | "
        f"{ms(summary.max)} | {ms(summary.mean)} |"
    )


def _header(results: RunResults) -> list[str]:
    env = results.environment
    return [
        "# Console bench",
        "",
        f"`{env.command}`",
        "",
        f"- {env.date}; {env.cpus} x {env.cpu_model}, {env.memory_gib} GiB, Linux {env.kernel}; "
        f"load before {env.load_before}; other local clusters: {env.other_clusters}",
        f"- Python {env.python}, Kubernetes {env.server}",
        "",
    ]


def _listing(results: RunResults) -> list[str]:
    run, cpu = results.listing, results.list_cpu
    own = [page - api for page, api in zip(run.page, run.api_list, strict=True)]
    parts = [run.decode, run.rows_view, run.gates_view]
    rest = percentile(own, 50) - sum(percentile(part, 50) for part in parts)
    apiserver = cpu.components.get("kube-apiserver", 0.0)
    return [
        f"## Releases list: {run.rows} releases, {run.waiting_on_me} under Waiting on me",
        "",
        *COLUMNS,
        row("console page: GET /releases?namespace=… (client, loopback)", run.page),
        row("API list alone (same person, the console's client)", run.api_list),
        row("console's own share (page - API list, per round)", own),
        row("… of which: decoding the list (in the bench process)", run.decode),
        row("… of which: the rows (release_rows, in the bench process)", run.rows_view),
        row("… of which: Waiting on me (gates_for, in the bench process)", run.gates_view),
        "",
        f"- page {run.page_bytes:,} bytes; API list {run.list_bytes:,} bytes; first page "
        f"(not counted: SelfSubjectReview, templates compiled) {ms(run.first_page)}",
        f"- left for the template and serving: {ms(rest)} (the console's share's p50 minus "
        "its parts' p50s)",
        f"- CPU per round: console {ms(cpu.operator / run.requests)}, kube-apiserver "
        f"{ms(apiserver / run.requests)}, etcd "
        f"{ms(cpu.components.get('etcd', 0.0) / run.requests)}",
        "",
    ]


def _live(results: RunResults) -> list[str]:
    run = results.live
    series = latencies(run.updates)
    offsets = ", ".join(f"{ms(o)} ± {ms(b)}" for o, b in run.clock_offsets)
    return [
        f"## Live updates: status write → {run.release}'s page in headless Chromium",
        "",
        *COLUMNS,
        row("PATCH status round trip", series["patch"]),
        row("write → plain watch event (API server alone)", series["watch"]),
        row("write → SSE event reached the page (+ console, EventSource)", series["message"]),
        row("write → browser DOM change (+ htmx swap)", series["dom"]),
        "",
        f"- {run.warmup} warm-up writes not counted; page clock - bench clock: {offsets}",
        "",
    ]


def render(results: RunResults) -> str:
    """The whole report."""
    return "\n".join([*_header(results), *_listing(results), *_live(results)])


def save(results: RunResults, path: Path) -> None:
    """results.json: options, environment, every sample."""
    path.write_text(json.dumps(dataclasses.asdict(results), indent=1, default=str) + "\n")
