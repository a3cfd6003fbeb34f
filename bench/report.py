"""The Markdown report of one run (printed, and saved next to results.json)."""

from __future__ import annotations

from collections.abc import Iterable

from bench.latency import Series
from bench.results import Results
from bench.shape import CREATE_CONNECTIONS
from bench.stats import Summary, summarize

MIB = 1024 * 1024


def duration(seconds: float | None) -> str:
    """Milliseconds below 10 s (latencies), seconds above (wall times)."""
    if seconds is None:
        return "-"
    if abs(seconds) < 10:
        return f"{seconds * 1000:.1f} ms" if abs(seconds) < 0.1 else f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _latency_row(title: str, summary: Summary | None, measures: str) -> list[str]:
    if summary is None:
        return [title, "0", "-", "-", "-", measures]
    return [
        title,
        str(summary.count),
        duration(summary.p50),
        duration(summary.p99),
        duration(summary.max),
        measures,
    ]


def latency_table(results: Results) -> list[str]:
    """Operator latencies, the floor right below them, then the cluster's own figures."""
    by_key: dict[str, Series] = {s.key: s for s in results.series}
    floor = [
        (
            "floor, idle: create → watch ADDED",
            results.floor_idle,
            "ConfigMap create sent → its ADDED event, back to back, before the releases",
        ),
        (
            "floor, under load: create → watch ADDED",
            results.floor_loaded,
            "the same, paced while the releases run",
        ),
    ]
    rows = [
        _latency_row(s.title, summarize(s.samples), s.measures)
        for s in (by_key["job_to_job"], by_key["job_to_job_after_burst"], by_key["approval_to_job"])
    ]
    rows += [_latency_row(title, summarize(samples), what) for title, samples, what in floor]
    rows += [
        _latency_row(s.title, summarize(s.samples), s.measures)
        for key, s in by_key.items()
        if key not in ("job_to_job", "job_to_job_after_burst", "approval_to_job")
    ]
    return _table(["figure", "n", "p50", "p99", "max", "measures"], rows)


def cost_table(results: Results) -> list[str]:
    """Wall time, operator CPU and memory, API requests per step."""
    op = results.operator
    requests = sum(op.requests.values())
    reconciles = sum(op.reconciles.values())
    wall = results.wall_seconds
    rows = [
        [
            "releases / steps / Jobs",
            f"{results.releases} / {results.steps} / {results.jobs} (operator workers: "
            f"{results.workers})",
        ],
        ["wall time: first create sent → last release Succeeded", duration(wall)],
        [
            f"creating the {results.releases} releases ({CREATE_CONNECTIONS} connections)",
            duration(results.create_seconds),
        ],
        [
            "operator CPU during the run (user+sys)",
            f"{results.cpu.operator:.1f} s ({results.cpu.operator / wall:.0%} of one core)",
        ],
        ["operator CPU since its start", f"{op.cpu_total_seconds:.1f} s"],
        ["operator peak RSS (VmHWM)", f"{op.peak_rss_bytes / MIB:.0f} MiB"],
        [
            "operator API requests per step",
            f"{requests / results.steps:.2f} ({requests:.0f} in total; watches not counted)",
        ],
        [
            "reconciles per step",
            f"{reconciles / results.steps:.2f} ("
            + ", ".join(f"{k} {v:.0f}" for k, v in op.reconciles.items())
            + ")",
        ],
        [
            "reconcile duration: mean, p50, p99 (histogram bucket bounds)",
            f"{duration(op.reconcile_seconds_sum / reconciles if reconciles else None)}, "
            f"≤ {duration(op.reconcile_p50_bound)}, ≤ {duration(op.reconcile_p99_bound)}",
        ],
        [
            "worker busy (reconcile time / (wall x workers))",
            f"{op.reconcile_seconds_sum / (wall * results.workers):.0%}",
        ],
        ["max work-queue depth (sampled every 0.5 s)", f"{op.max_queue_depth:.0f}"],
        [
            "peak CPU over 2 s: operator / kube-apiserver / whole host",
            f"{op.peak_cpu_cores:.0%} / {results.cluster.peak_apiserver_cpu_cores:.0%} / "
            f"{results.cluster.peak_host_busy_cores:.0%} of one core",
        ],
        ["Events posted", f"{op.events_posted:.0f}"],
        [
            "watch events the operator received (jobs / pods / appdeployments)",
            " / ".join(str(op.watch_events.get(k, 0)) for k in ("jobs", "pods", "appdeployments"))
            + f" = {sum(op.watch_events.values())}, for {reconciles:.0f} reconciles",
        ],
        *_event_cost_rows(results),
        ["failed reconciles in the operator log", str(op.failed_reconciles_logged)],
    ]
    return _table(["figure", "value"], rows)


def _event_cost_rows(results: Results) -> list[list[str]]:
    cost = results.operator.event_cost
    if cost is None or not cost.events:
        return []
    events = sum(results.operator.watch_events.values())
    share = cost.per_event * events / results.cpu.operator if results.cpu.operator else 0.0
    return [
        [
            "operator CPU per event of pods that are not its own "
            f"(calibration: {cost.events} events of {cost.pods} unlabelled pods, "
            "filtered by the API server)",
            f"{cost.per_event * 1000:.2f} ms",
        ],
        [
            "... times the run's watch events, as a share of the run's operator CPU",
            f"{cost.per_event * events:.1f} s = {share:.0%}",
        ],
    ]


def requests_table(results: Results) -> list[str]:
    """The operator's requests by verb and resource."""
    rows = [
        [request, f"{count:.0f}", f"{count / results.steps:.2f}", f"{count / results.releases:.2f}"]
        for request, count in sorted(results.operator.requests.items(), key=lambda kv: -kv[1])
    ]
    return _table(["operator request", "total", "per step", "per release"], rows)


def cpu_table(results: Results) -> list[str]:
    """Who used the CPUs while the releases ran."""
    cpu, wall, cores = results.cpu, results.wall_seconds, results.environment.cpus
    entries = [("appdeploy operator", cpu.operator)]
    entries += sorted(cpu.components.items(), key=lambda kv: -kv[1])
    entries += [("bench (this process)", cpu.bench), ("everything else on the host", cpu.others)]
    rows = [
        [name, f"{seconds:.1f}", f"{seconds / (wall * cores):.0%}"] for name, seconds in entries
    ]
    rows.append(
        ["host total (busy)", f"{cpu.host_busy:.1f}", f"{cpu.host_busy / (wall * cores):.0%}"]
    )
    return _table(["process", "CPU s", f"share of {cores} cores"], rows)


def cluster_table(results: Results) -> list[str]:
    """What the API server served during the run (all clients), and the Job controller's wait."""
    cluster = results.cluster
    rows = [[request, f"{count:.0f}"] for request, count in cluster.apiserver_requests.items()]
    p99 = cluster.controller_manager_throttled_p99_bound
    rows.append(
        [
            "kube-controller-manager: requests, summed wait on its client-side rate limiter "
            "(p99 bucket)",
            f"{cluster.controller_manager_requests:.0f}, "
            f"{cluster.controller_manager_throttled_seconds:.1f} s (≤ {duration(p99)})",
        ]
    )
    return _table(["API server request (all clients)", "count"], rows)


def render(results: Results) -> str:
    """The whole report."""
    env = results.environment
    lines = [
        f"## {results.releases} releases at once, {results.workers} workers, "
        + (
            "stock kube-controller-manager (20 requests/s per controller)"
            if results.controller_manager_qps is None
            else f"kube-controller-manager at {results.controller_manager_qps} requests/s"
        ),
        "",
        f"- command: `{env.command}`",
        f"- date: {env.date}",
        f"- host: {env.cpus} x {env.cpu_model}, {env.memory_gib} GiB, Linux {env.kernel}; "
        f"load average before {env.load_before[0]} / {env.load_before[1]} / "
        f"{env.load_before[2]}; other local clusters running: {env.other_clusters}",
        f"- versions: Kubernetes {env.server}, Python {env.python}, kopf {env.kopf}, "
        f"kubernetes client {env.kubernetes_client}",
        "",
        "### Latencies",
        "",
        *latency_table(results),
        "",
        "### Throughput and cost",
        "",
        *cost_table(results),
        "",
        *requests_table(results),
        "",
        "### CPU while the releases ran",
        "",
        *cpu_table(results),
        "",
        *cluster_table(results),
        "",
    ]
    return "\n".join(lines)
