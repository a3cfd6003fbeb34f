"""From two readings, the timeline and the floor to the Results of a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench import latency, prom, shape
from bench.calibrate import EventCost
from bench.meters import Reading
from bench.results import ClusterFigures, Environment, OperatorFigures, Results
from bench.sampling import Sampler
from bench.timeline import Timeline

APISERVER_RESOURCES = ("appdeployments", "jobs", "pods", "events", "configmaps")
RECONCILE_SECONDS = "appdeploy_reconcile_duration_seconds"
# The operator logs "<ns>/<name>: reconcile failed (...)" for every failed pass.
FAILED_RECONCILE = "reconcile failed"


@dataclass(frozen=True)
class Run:
    """What the runner hands over once the releases finished."""

    releases: int
    workers: int
    controller_manager_qps: int | None
    environment: Environment
    began: float
    created: float
    timeline: Timeline
    before: Reading
    after: Reading
    operator_cpu_total: float
    operator_peak_rss: int
    sampled: Sampler
    operator_log: Path
    floor_idle: list[float]
    floor_loaded: list[float]
    event_cost: EventCost | None


def results(run: Run) -> Results:
    """The Results of a finished run."""
    records = run.timeline.records
    finished = max(r.finished for r in records.values() if r.finished is not None)
    events = {
        name: count - run.before.watch_events.get(name, 0)
        for name, count in run.after.watch_events.items()
    }
    return Results(
        releases=run.releases,
        workers=run.workers,
        controller_manager_qps=run.controller_manager_qps,
        environment=run.environment,
        wall_seconds=finished - run.began,
        create_seconds=run.created - run.began,
        steps=run.releases * shape.STEPS_PER_RELEASE,
        jobs=sum(len(r.job_added) for r in records.values()),
        series=latency.series(records),
        floor_idle=run.floor_idle,
        floor_loaded=run.floor_loaded,
        cpu=run.after.cpu.minus(run.before.cpu),
        operator=_operator(run, prom.delta(run.after.operator, run.before.operator), events),
        cluster=_cluster(run),
        sampled=run.sampled.series,
    )


def _operator(run: Run, samples: prom.Samples, watch_events: dict[str, int]) -> OperatorFigures:
    requests = prom.total(samples, "appdeploy_api_requests_total", ("verb", "resource"))
    reconciles = prom.total(samples, "appdeploy_reconciles_total", ("result",))
    log_text = run.operator_log.read_text(errors="replace") if run.operator_log.exists() else ""
    return OperatorFigures(
        cpu_total_seconds=run.operator_cpu_total,
        peak_rss_bytes=run.operator_peak_rss,
        requests={f"{verb} {resource}": n for (verb, resource), n in sorted(requests.items())},
        reconciles={result: n for (result,), n in sorted(reconciles.items())},
        reconcile_seconds_sum=sum(prom.total(samples, f"{RECONCILE_SECONDS}_sum").values()),
        reconcile_p50_bound=prom.histogram_quantile(samples, RECONCILE_SECONDS, 0.50),
        reconcile_p99_bound=prom.histogram_quantile(samples, RECONCILE_SECONDS, 0.99),
        events_posted=sum(prom.total(samples, "appdeploy_events_total").values()),
        max_queue_depth=run.sampled.maximum("queue_depth"),
        peak_cpu_cores=run.sampled.max_rate("operator_cpu_seconds"),
        failed_reconciles_logged=log_text.count(FAILED_RECONCILE),
        event_cost=run.event_cost,
        watch_events=watch_events,
    )


def _cluster(run: Run) -> ClusterFigures:
    served = prom.delta(run.after.apiserver, run.before.apiserver)
    grouped = prom.total(served, "apiserver_request_total", ("verb", "resource", "subresource"))
    kcm = prom.delta(run.after.controller_manager, run.before.controller_manager)
    waited = "rest_client_rate_limiter_duration_seconds"
    return ClusterFigures(
        apiserver_requests={
            f"{verb} {resource}{'/' + sub if sub else ''}": count
            for (verb, resource, sub), count in sorted(grouped.items())
            if resource in APISERVER_RESOURCES and count > 0
        },
        controller_manager_requests=sum(prom.total(kcm, "rest_client_requests_total").values()),
        controller_manager_throttled_seconds=sum(prom.total(kcm, f"{waited}_sum").values()),
        controller_manager_throttled_p99_bound=prom.histogram_quantile(kcm, waited, 0.99),
        peak_apiserver_cpu_cores=run.sampled.max_rate("apiserver_cpu_seconds"),
        peak_host_busy_cores=run.sampled.max_rate("host_busy_seconds"),
    )
