"""One benchmark run: cluster up, operator up, N releases at once, measure, tear down.

Teardown always happens (ExitStack), also when a release fails or the run
times out: watches, samplers and the approver stop, the operator is stopped
and the bench's own cluster is brought down unless ``--keep-cluster``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from kubernetes import client
from tests.cluster import down, up, wait_for
from tests.cluster.launcher import Cluster
from tests.cluster.layout import default_run_dir
from tests.cluster.operator import OperatorProcess
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.state import ClusterState

from appdeploy.k8s.labels import GROUP, MANAGED_SELECTOR, PLURAL, VERSION
from bench import calibrate, digest, knobs, kube, prom, shape
from bench.approver import Approver
from bench.environment import describe
from bench.floor import Floor
from bench.meters import Meters
from bench.procstats import (
    host_busy_seconds,
    peak_rss_bytes,
    process_cpu_seconds,
    session_cpu_seconds,
    session_pids,
)
from bench.results import Results
from bench.sampling import Sampler
from bench.timeline import Timeline
from bench.watch import Stream

log = logging.getLogger("bench")

NAMESPACE = "bench"
FLOOR_NAMESPACE = "bench-floor"
QUIET_TIMEOUT = 60.0
SAMPLE_INTERVAL = 0.5


@dataclass(frozen=True)
class Options:
    """What to run."""

    releases: int
    workers: int
    cluster_name: str
    keep_cluster: bool
    out_dir: Path
    floor_idle_samples: int
    floor_interval: float
    calibration_pods: int
    timeout: float
    controller_manager_qps: int | None


def run(options: Options) -> Results:
    """Run the benchmark; always stops the operator and (unless kept) the cluster."""
    options.out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as cleanup:
        cluster = bring_up(
            options.cluster_name, options.controller_manager_qps, options.keep_cluster, cleanup
        )
        api = kube.api_client(cluster.kubeconfig)
        kube.install_crd(api)
        kube.create_namespace(api, NAMESPACE)
        kube.create_namespace(api, FLOOR_NAMESPACE)
        operator, operator_url = _start_operator(cluster, options, cleanup)
        return _measure(
            options, cluster, api=api, operator=operator, operator_url=operator_url, cleanup=cleanup
        )
    raise AssertionError("unreachable")  # ExitStack never swallows the exception


def bring_up(
    name: str, controller_manager_qps: int | None, keep: bool, cleanup: contextlib.ExitStack
) -> Cluster:
    """The bench's own local cluster ``name``; brought down by ``cleanup`` unless ``keep``."""
    run_dir = default_run_dir(name)
    with knobs.controller_manager_qps(controller_manager_qps):
        cluster = up(run_dir, name=name)
    if keep:
        cleanup.callback(log.info, "cluster kept; kubeconfig: %s", cluster.kubeconfig)
    else:
        cleanup.callback(down, run_dir)
    return cluster


def _start_operator(
    cluster: Cluster, options: Options, cleanup: contextlib.ExitStack
) -> tuple[OperatorProcess, str]:
    """The operator, watching only the bench namespace; returns it and its /metrics URL."""
    args = ["--trust-unverified-approvals", "-n", NAMESPACE, "--workers", str(options.workers)]
    return start_operator(cluster, options.out_dir / "operator.log", args, cleanup)


def start_operator(
    cluster: Cluster, log_path: Path, args: list[str], cleanup: contextlib.ExitStack
) -> tuple[OperatorProcess, str]:
    """The operator with ``args`` and /metrics on a free port, stopped by ``cleanup``; its URL."""
    metrics_address = f"{LOOPBACK}:{free_ports(1)[0]}"
    operator = OperatorProcess(
        cluster.kubeconfig, log_path, [*args, "--metrics-address", metrics_address]
    )
    operator.start()
    cleanup.callback(operator.stop)
    url = f"http://{metrics_address}/metrics"
    wait_for(lambda: prom.scrape_url(url), 30, "the operator's /metrics", ignore=(OSError,))
    return operator, url


def _measure(
    options: Options,
    cluster: Cluster,
    *,
    api: Any,
    operator: OperatorProcess,
    operator_url: str,
    cleanup: contextlib.ExitStack,
) -> Results:
    assert operator.process is not None
    session = operator.process.pid
    state = ClusterState.load(cluster.run_dir / "state.json")
    components = {record.name: record.pid for record in state.processes}
    environment = describe(kube.server_version(api), {session, *components.values()})

    names = [shape.release_name(index) for index in range(options.releases)]
    approver = Approver(api, NAMESPACE)
    timeline = Timeline(names, on_gate_waiting=approver.approve)
    approver.timeline = timeline
    cleanup.callback(approver.close)
    pod_events = calibrate.PodEvents()
    streams = _start_streams(api, timeline, pod_events, cleanup)
    floor = Floor(api, FLOOR_NAMESPACE, timeline.fail)
    floor.start()
    cleanup.callback(floor.stop)
    event_cost = _before_the_releases(options, api, session, floor, pod_events)

    meters = Meters(
        api=api,
        operator_url=operator_url,
        apiserver_url=cluster.server,
        controller_manager_url=f"https://{LOOPBACK}:{state.ports['controller_manager']}",
        operator_session=session,
        components=components,
        streams=streams,
    )
    sampler = _sampler(operator_url, session, components["kube-apiserver"], timeline)
    before = meters.read()
    sampler.start()
    cleanup.callback(sampler.stop)
    floor.start_under_load(options.floor_interval, timeline.fail)

    log.info("creating %d releases", len(names))
    began = time.monotonic()
    _create_all(client.CustomObjectsApi(api), names, timeline)
    created = time.monotonic()
    timeline.wait_all_finished(options.timeout)
    log.info("all %d releases Succeeded; waiting for the operator to go quiet", len(names))
    after = meters.read(quiet(operator_url))
    floor.stop()
    sampler.stop()
    return digest.results(
        digest.Run(
            releases=options.releases,
            workers=options.workers,
            controller_manager_qps=options.controller_manager_qps,
            environment=environment,
            began=began,
            created=created,
            timeline=timeline,
            before=before,
            after=after,
            operator_cpu_total=session_cpu_seconds(session),
            operator_peak_rss=sum(peak_rss_bytes(pid) for pid in session_pids(session)),
            sampled=sampler,
            operator_log=operator.log_path,
            floor_idle=floor.idle,
            floor_loaded=floor.loaded,
            event_cost=event_cost,
        )
    )


def _before_the_releases(
    options: Options, api: Any, session: int, floor: Floor, pod_events: calibrate.PodEvents
) -> calibrate.EventCost | None:
    """On the idle cluster: the floor's idle round trips, then the event-cost calibration."""
    log.info("floor: %d idle round trips", options.floor_idle_samples)
    floor.measure_idle(options.floor_idle_samples)
    if not options.calibration_pods:
        return None
    log.info("calibration: %d pods that are not the operator's", options.calibration_pods)
    return calibrate.measure(api, NAMESPACE, session, pod_events, options.calibration_pods)


def _sampler(
    operator_url: str, operator_pid: int, apiserver_pid: int, timeline: Timeline
) -> Sampler:
    """What is polled every half second while the releases run."""
    return Sampler(
        {
            "queue_depth": lambda: sum(
                prom.total(prom.scrape_url(operator_url), "appdeploy_queue_depth").values()
            ),
            "operator_cpu_seconds": lambda: process_cpu_seconds(operator_pid),
            "apiserver_cpu_seconds": lambda: process_cpu_seconds(apiserver_pid),
            "host_busy_seconds": host_busy_seconds,
            "releases_finished": lambda: float(timeline.finished_count()),
        },
        SAMPLE_INTERVAL,
    )


def _start_streams(
    api: Any, timeline: Timeline, pod_events: calibrate.PodEvents, cleanup: contextlib.ExitStack
) -> dict[str, Stream]:
    """Watches with the operator's own selectors, and one of the calibration pods."""
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    custom = client.CustomObjectsApi(api)
    streams = {
        "jobs": Stream(
            "jobs",
            partial(batch.list_namespaced_job, NAMESPACE, label_selector=MANAGED_SELECTOR),
            timeline.job_event,
            timeline.fail,
        ),
        "pods": Stream(
            "pods",
            partial(core.list_namespaced_pod, NAMESPACE, label_selector=MANAGED_SELECTOR),
            lambda kind, pod, at: None,  # counted only
            timeline.fail,
        ),
        "appdeployments": Stream(
            "appdeployments",
            partial(custom.list_namespaced_custom_object, GROUP, VERSION, NAMESPACE, PLURAL),
            timeline.release_event,
            timeline.fail,
        ),
    }
    # The calibration pods are not the operator's: a stream of their own, not counted above.
    calibration = Stream(
        "calibration",
        partial(core.list_namespaced_pod, NAMESPACE, label_selector=calibrate.LABEL),
        pod_events.on_event,
        timeline.fail,
    )
    for stream in [*streams.values(), calibration]:
        stream.start()
        cleanup.callback(stream.stop)
    return streams


def _create_all(custom: Any, names: list[str], timeline: Timeline) -> None:
    """Create every release at once (a few parallel connections)."""

    def create(name: str) -> None:
        custom.create_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, shape.release_body(name)
        )
        timeline.created(name, time.monotonic())

    with ThreadPoolExecutor(shape.CREATE_CONNECTIONS, thread_name_prefix="create") as pool:
        list(pool.map(create, names))


def quiet(operator_url: str) -> prom.Samples:
    """The operator's metrics once it stopped making requests.

    The last status write is what the bench sees; the Events derived from it
    are posted just after. Polls until two scrapes agree and the queue is empty.
    """
    last: dict[str, float] = {}

    def settled() -> prom.Samples | None:
        samples = prom.scrape_url(operator_url)
        requests = sum(prom.total(samples, "appdeploy_api_requests_total").values())
        depth = sum(prom.total(samples, "appdeploy_queue_depth").values())
        previous = last.get("requests")
        last["requests"] = requests
        return samples if previous == requests and depth == 0 else None

    found = wait_for(settled, QUIET_TIMEOUT, "the operator to go quiet", interval=0.2)
    assert found is not None  # wait_for returns only truthy results
    return found
