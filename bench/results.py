"""Everything one run measured, in a shape the report renders and JSON stores."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from bench.calibrate import EventCost
from bench.latency import Series
from bench.procstats import CpuSnapshot


@dataclass(frozen=True)
class Environment:
    """Where and with what the run happened (shared CPUs are part of the result)."""

    date: str
    cpus: int
    cpu_model: str
    memory_gib: float
    kernel: str
    load_before: tuple[float, float, float]
    other_clusters: int
    python: str
    kopf: str
    kubernetes_client: str
    server: str
    command: str


@dataclass(frozen=True)
class OperatorFigures:
    """From the operator's /metrics (deltas over the run) and /proc."""

    cpu_total_seconds: float
    peak_rss_bytes: int
    requests: dict[str, float]
    reconciles: dict[str, float]
    reconcile_seconds_sum: float
    reconcile_p50_bound: float | None
    reconcile_p99_bound: float | None
    events_posted: float
    max_queue_depth: float
    peak_cpu_cores: float
    """Highest CPU use over 2 s (samples every 0.5 s), in cores."""
    failed_reconciles_logged: int
    watch_events: dict[str, int]
    """Events the bench received with the operator's own watch selectors, per resource."""
    event_cost: EventCost | None
    """Operator CPU per watch event that enqueues nothing (calibration before the run)."""


@dataclass(frozen=True)
class ClusterFigures:
    """What the rest of the control plane did meanwhile (deltas over the run)."""

    apiserver_requests: dict[str, float]
    """Requests served, all clients, by verb and resource."""
    controller_manager_requests: float
    controller_manager_throttled_seconds: float
    """Summed time kube-controller-manager's requests waited on its client-side rate limiter."""
    controller_manager_throttled_p99_bound: float | None
    peak_apiserver_cpu_cores: float
    peak_host_busy_cores: float
    """Highest use over 2 s, in cores (like the operator's)."""


@dataclass(frozen=True)
class Results:
    """One benchmark run."""

    releases: int
    workers: int
    controller_manager_qps: int | None
    """None: the stock limit (20/s); else the bench raised kube-controller-manager's."""
    environment: Environment
    wall_seconds: float
    create_seconds: float
    steps: int
    jobs: int
    series: list[Series]
    floor_idle: list[float]
    floor_loaded: list[float]
    cpu: CpuSnapshot
    operator: OperatorFigures
    cluster: ClusterFigures
    sampled: dict[str, list[tuple[float, float]]]
    """Polled every 0.5 s: queue depth, operator CPU seconds, releases finished."""

    def save(self, path: Path) -> None:
        """Write as JSON (raw samples included, for later analysis)."""
        path.write_text(json.dumps(dataclasses.asdict(self), indent=1) + "\n")
