"""One notifications bench run: its own cluster, the slow fakes, the operator, phase after phase.

The same operator process runs every phase, so the baseline (gates naming
no channel) and the phases with a slow channel meet the same cluster, the
same caches and the same flags. A phase creates its releases at once,
approves each gate the moment it opens, and is over when every release
Succeeded, every record of the phase was seen Sent (or Failed) and the
operator's request counter stopped moving. Teardown always happens
(ExitStack): watches, the approver, the fakes, the operator and (unless
kept) the cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from kubernetes import client
from tests.cluster import wait_for
from tests.cluster.crd import install_crd
from tests.cluster.launcher import Cluster
from tests.cluster.operator import OperatorProcess
from tests.cluster.ports import LOOPBACK
from tests.cluster.state import ClusterState

from appdeploy.api.channel_crd import build_channel_crd
from appdeploy.api.channels import CHANNEL_PLURAL
from appdeploy.k8s.labels import GROUP, MANAGED_SELECTOR, PLURAL, VERSION
from bench import kube, prom
from bench.approver import Approver
from bench.environment import describe
from bench.notifications.outbox import OutboxFollower
from bench.notifications.shape import Phase, channel_objects, release_body
from bench.notifications.sinks import Receipts, StampedSlack, StampedWebhookSink
from bench.procstats import CpuSnapshot, snapshot
from bench.results import Environment
from bench.runner import bring_up, quiet, start_operator
from bench.shape import CREATE_CONNECTIONS
from bench.timeline import ReleaseRecord, Timeline
from bench.watch import Stream

log = logging.getLogger("bench")

NAMESPACE = "bench"
SETUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class Options:
    """What to run."""

    releases: int
    phases: tuple[Phase, ...]
    workers: int
    delivery_workers: int
    delay: float
    """Seconds every answer of the fake providers waits."""
    cluster_name: str
    keep_cluster: bool
    out_dir: Path
    timeout: float
    controller_manager_qps: int | None
    command: str


@dataclass
class PhaseRun:
    """What one phase saw, and the counters around it."""

    phase: Phase
    began: float
    ended: float
    releases: dict[str, ReleaseRecord]
    records: dict[str, Any]
    """Record id -> SeenRecord (outbox.py), this phase's releases only."""
    receipts: dict[str, list[Any]]
    """Record id -> Receipt (sinks.py) at the phase's channel, this phase's records only."""
    provider_calls: dict[str, int]
    """Requests the phase's fake received, by method, during the phase."""
    operator: prom.Samples
    """Deltas of the operator's /metrics over the phase."""
    cpu: CpuSnapshot


@dataclass
class RunResults:
    """Everything one bench run measured."""

    options: Options
    environment: Environment
    phases: list[PhaseRun]


class Sinks:
    """The fake providers on 127.0.0.1, answering after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.webhook = StampedWebhookSink(delay)
        self.slack = StampedSlack(delay)

    def url(self, kind: str) -> str:
        return self.webhook.url if kind == "webhook" else self.slack.api_url

    def receipts(self, kind: str | None) -> Receipts:
        if kind == "webhook":
            return self.webhook.receipts
        if kind == "slack":
            return self.slack.receipts
        return Receipts()


def run(options: Options) -> RunResults:
    """Run every phase; always stops the operator, the fakes and (unless kept) the cluster."""
    options.out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as cleanup:
        cluster = bring_up(
            options.cluster_name, options.controller_manager_qps, options.keep_cluster, cleanup
        )
        api = kube.api_client(cluster.kubeconfig)
        kube.install_crd(api)
        install_crd(api, build_channel_crd(), SETUP_TIMEOUT)
        kube.create_namespace(api, NAMESPACE)
        sinks = Sinks(options.delay)
        for fake in (sinks.webhook, sinks.slack):
            fake.start()
            cleanup.callback(fake.stop)
        operator, operator_url = _start_operator(cluster, options, cleanup)
        kinds = {phase.channel for phase in options.phases if phase.channel}
        _create_channels(api, sinks, sorted(kinds))
        return _phases(
            options,
            cluster,
            api=api,
            sinks=sinks,
            operator=operator,
            operator_url=operator_url,
            cleanup=cleanup,
        )
    raise AssertionError("unreachable")  # ExitStack never swallows the exception


def _start_operator(
    cluster: Cluster, options: Options, cleanup: contextlib.ExitStack
) -> tuple[OperatorProcess, str]:
    args = [
        "--trust-unverified-approvals",
        *("-n", NAMESPACE),
        *("--workers", str(options.workers)),
        *("--delivery-workers", str(options.delivery_workers)),
        # The fake Slack's apiUrl; everything stays on loopback.
        *("--allow-provider-url", f"http://{LOOPBACK}:"),
    ]
    return start_operator(cluster, options.out_dir / "operator.log", args, cleanup)


def _create_channels(api: Any, sinks: Sinks, kinds: list[str]) -> None:
    """Each channel and its Secret; returns once the operator reports every one Ready."""
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    for kind in kinds:
        channel, secret = channel_objects(kind, sinks.url(kind))
        core.create_namespaced_secret(NAMESPACE, secret)
        custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, CHANNEL_PLURAL, channel)

    def ready(kind: str) -> bool:
        body = custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, CHANNEL_PLURAL, kind)
        conditions = (body.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    for kind in kinds:
        wait_for(partial(ready, kind), SETUP_TIMEOUT, f"channel {kind} to be Ready")


def _phases(
    options: Options,
    cluster: Cluster,
    *,
    api: Any,
    sinks: Sinks,
    operator: OperatorProcess,
    operator_url: str,
    cleanup: contextlib.ExitStack,
) -> RunResults:
    assert operator.process is not None
    session = operator.process.pid
    state = ClusterState.load(cluster.run_dir / "state.json")
    components = {record.name: record.pid for record in state.processes}
    environment = dataclasses.replace(
        describe(kube.server_version(api), {session, *components.values()}),
        command=options.command,
    )
    approver = Approver(api, NAMESPACE)
    cleanup.callback(approver.close)
    follower = OutboxFollower()
    current: list[Timeline] = []

    def job_event(kind: str, job: dict[str, Any], at: float) -> None:
        for timeline in current:
            timeline.job_event(kind, job, at)

    def release_event(kind: str, release: dict[str, Any], at: float) -> None:
        follower.release_event(kind, release, at)  # first: a finished release's records are known
        for timeline in current:
            timeline.release_event(kind, release, at)

    def fail(error: BaseException) -> None:
        for timeline in current:
            timeline.fail(error)

    batch, custom = client.BatchV1Api(api), client.CustomObjectsApi(api)
    streams = [
        Stream(
            "jobs",
            partial(batch.list_namespaced_job, NAMESPACE, label_selector=MANAGED_SELECTOR),
            job_event,
            fail,
        ),
        Stream(
            "appdeployments",
            partial(custom.list_namespaced_custom_object, GROUP, VERSION, NAMESPACE, PLURAL),
            release_event,
            fail,
        ),
    ]
    for stream in streams:
        stream.start()
        cleanup.callback(stream.stop)

    runs = []
    for phase in options.phases:
        names = [phase.release_name(index) for index in range(options.releases)]
        timeline = Timeline(names, on_gate_waiting=approver.approve)
        approver.timeline = timeline
        current[:] = [timeline]
        receipts = sinks.receipts(phase.channel)
        _, calls_before = receipts.snapshot()
        before, cpu_before = prom.scrape_url(operator_url), snapshot(session, components)
        log.info("phase %s: creating %d releases", phase.name, len(names))
        began = time.monotonic()
        _create_all(custom, phase, names, timeline)
        timeline.wait_all_finished(options.timeout)
        follower.wait_settled(set(names), options.timeout)
        ended = time.monotonic()
        log.info("phase %s: all Succeeded and delivered; waiting for quiet", phase.name)
        after = quiet(operator_url)
        by_id, calls = receipts.snapshot()
        records = follower.of(set(names))
        runs.append(
            PhaseRun(
                phase=phase,
                began=began,
                ended=ended,
                releases=timeline.records,
                records=records,
                receipts={i: r for i, r in by_id.items() if i in records},
                provider_calls=dict(calls - calls_before),
                operator=prom.delta(after, before),
                cpu=snapshot(session, components).minus(cpu_before),
            )
        )
    return RunResults(options=options, environment=environment, phases=runs)


def _create_all(custom: Any, phase: Phase, names: list[str], timeline: Timeline) -> None:
    """Create the phase's releases at once (a few parallel connections)."""

    def create(index: int) -> None:
        body = release_body(names[index], phase.channel_of(index))
        custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)
        timeline.created(names[index], time.monotonic())

    with ThreadPoolExecutor(CREATE_CONNECTIONS, thread_name_prefix="create") as pool:
        list(pool.map(create, range(len(names))))
