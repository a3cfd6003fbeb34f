"""One chaos run: its own cluster, the operator with its webhooks, releases, faults, verdict.

Teardown always happens (ExitStack): watches and approvers stop, the
operator is stopped and the run's own cluster is brought down unless kept.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client
from tests.cluster import down, up
from tests.cluster.certs import create_webhook_pki
from tests.cluster.layout import default_run_dir
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.restart import Restarted, restart
from tests.cluster.state import ClusterState
from tests.integration.admission_setup import Admission
from tests.integration.job_creations import Attempt, JobCreations
from tests.integration.releases import grant_approvers

from appdeploy.admission.configurations import webhook_configurations
from appdeploy.k8s.labels import API_VERSION, GROUP, KIND, PLURAL, VERSION
from bench import kube
from bench.chaos.approvers import Approvers, Tally
from bench.chaos.audit import JobCreates, audited_apiserver, job_creates
from bench.chaos.follow import Follower
from bench.chaos.operators import Crash, Operators, WebhookServing
from bench.chaos.plan import Fault, FaultKind, Plan
from bench.environment import describe
from bench.results import Environment

log = logging.getLogger("chaos")

NAMESPACE = "chaos"
CREATE_CONNECTIONS = 8
STARTUP_FLOOR = 1.0


@dataclass(frozen=True)
class Options:
    cluster_name: str
    keep_cluster: bool
    out_dir: Path
    timeout: float
    """Seconds, after the last fault, for every release to finish."""
    command: str
    run_dir: Path | None = None
    """Where the cluster lives (default: ~/.cache/appdeploy/run/<cluster_name>)."""


@dataclass
class Outcome:
    """Everything the verdict and the report need."""

    plan: Plan
    environment: Environment
    began: float
    faults_done_at: float = 0.0
    finished_at: float = 0.0
    phases: dict[str, str] = field(default_factory=dict)
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)
    audit: JobCreates | None = None
    watched: dict[str, dict[Attempt, int]] = field(default_factory=dict)
    watch_gaps: int = 0
    tally: Tally = field(default_factory=Tally)
    crashes: list[Crash] = field(default_factory=list)
    restarts: list[Restarted] = field(default_factory=list)
    restart_recovered_at: list[float | None] = field(default_factory=list)
    unexpected_exits: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    warning_samples: dict[str, str] = field(default_factory=dict)
    """One message per Warning reason (the first listed)."""
    operator_log_problems: dict[str, int] = field(default_factory=dict)
    release_watch_outages: int = 0


def run(plan: Plan, options: Options) -> Outcome:
    """Run the plan; always stops the operator and (unless kept) the cluster."""
    options.out_dir.mkdir(parents=True, exist_ok=True)
    run_dir = options.run_dir or default_run_dir(options.cluster_name)
    with contextlib.ExitStack() as cleanup:
        with audited_apiserver(options.out_dir) as audit_log:
            cluster = up(run_dir, name=options.cluster_name)
        if options.keep_cluster:
            cleanup.callback(log.info, "cluster kept; kubeconfig: %s", cluster.kubeconfig)
        else:
            cleanup.callback(down, run_dir)
        api = kube.api_client(cluster.kubeconfig)
        kube.install_crd(api)
        kube.create_namespace(api, NAMESPACE)
        grant_approvers(api, NAMESPACE)
        operators = _start_operator(api, cluster.kubeconfig, options.out_dir, cleanup)
        state = ClusterState.load(run_dir / "state.json")
        assert operators.current is not None and operators.current.process is not None
        own = {operators.current.process.pid, *(p.pid for p in state.processes)}
        environment = dataclasses.replace(
            describe(kube.server_version(api), own), command=options.command
        )
        creations = JobCreations(api, NAMESPACE, survive_outages=True)
        cleanup.callback(creations.stop)
        approvers = Approvers(cluster.kubeconfig, NAMESPACE, plan.releases)
        cleanup.callback(approvers.close)
        follower = Follower(api, NAMESPACE, approvers.gate_opened)
        follower.start()
        cleanup.callback(follower.stop)

        outcome = Outcome(plan, environment, began=time.monotonic())
        _create_releases(api, plan)
        log.info("created %d releases; %d faults to come", len(plan.releases), len(plan.faults))
        _inflict(plan.faults, outcome, operators, run_dir)
        outcome.faults_done_at = time.monotonic()
        names = [release.name for release in plan.releases]
        outcome.phases = follower.wait_all_finished(names, options.timeout)
        outcome.finished_at = time.monotonic()
        log.info("releases: %s", _phase_counts(outcome.phases))
        operators.stop()
        _collect(
            outcome,
            api,
            audit_log=audit_log,
            creations=creations,
            approvers=approvers,
            follower=follower,
            operators=operators,
        )
        return outcome
    raise AssertionError("unreachable")  # ExitStack never swallows the exception


def _start_operator(
    api: Any, kubeconfig: Path, out_dir: Path, cleanup: contextlib.ExitStack
) -> Operators:
    """The operator serving its webhooks on 127.0.0.1, and configurations pointing there."""
    ca, serving = create_webhook_pki(out_dir / "pki")
    address = f"{LOOPBACK}:{free_ports(1)[0]}"
    operators = Operators(
        kubeconfig, NAMESPACE, WebhookServing(address, serving.cert, serving.key), out_dir
    )
    process = operators.start()
    cleanup.callback(operators.stop)
    configurations = webhook_configurations(
        base64.b64encode(Path(ca.cert).read_bytes()).decode(), base_url=f"https://{address}"
    )
    url = f"https://{address}"
    Admission(NAMESPACE, process, configurations, api, url, Path(ca.cert)).install_webhooks()
    return operators


def _create_releases(api: Any, plan: Plan) -> None:
    custom = client.CustomObjectsApi(api)

    def create(release: Any) -> None:
        body = {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": {"name": release.name},
            "spec": release.spec(),
        }
        custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)

    with ThreadPoolExecutor(CREATE_CONNECTIONS, thread_name_prefix="create") as pool:
        list(pool.map(create, plan.releases))


def _inflict(faults: list[Fault], outcome: Outcome, operators: Operators, run_dir: Path) -> None:
    """Each fault at its moment (or right after the previous one recovered, if later)."""
    clock = threading.Event()  # never set: waits end at the fault's moment
    for number, fault in enumerate(faults, 1):
        clock.wait(max(0.0, outcome.began + fault.at - time.monotonic()))
        log.info(
            "fault %d/%d at +%.1fs: %s%s",
            number,
            len(faults),
            time.monotonic() - outcome.began,
            fault.kind,
            f" (then failpoint {fault.failpoint})" if fault.failpoint else "",
        )
        if fault.kind is FaultKind.KILL:
            operators.crash(fault.failpoint)
        else:
            component = "etcd" if fault.kind is FaultKind.ETCD else "kube-apiserver"
            outcome.restarts.append(restart(run_dir, component))


def _collect(
    outcome: Outcome,
    api: Any,
    *,
    audit_log: Path,
    creations: JobCreations,
    approvers: Approvers,
    follower: Follower,
    operators: Operators,
) -> None:
    custom, core = client.CustomObjectsApi(api), client.CoreV1Api(api)
    listed = custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL)
    outcome.releases = {body["metadata"]["name"]: body for body in listed["items"]}
    outcome.audit = job_creates(audit_log, NAMESPACE)
    outcome.watched = {name: dict(creations.counts(name)) for name in outcome.releases}
    outcome.watch_gaps = creations.gaps
    outcome.tally = approvers.tally
    outcome.crashes = operators.crashes
    outcome.unexpected_exits = operators.unexpected_exits
    outcome.stuck = operators.stuck
    outcome.release_watch_outages = follower.outages
    writes = sorted(follower.status_writes)
    for crash in operators.crashes:
        # A new process cannot write within its first second (its imports alone take
        # longer): a write seen earlier is the dead one's, delivered late.
        first = crash.restarted_at + STARTUP_FLOOR
        crash.status_written_at = next((t for t in writes if t >= first), None)
    outcome.restart_recovered_at = [
        next((t for t in writes if t >= restarted.ready_at), None) for restarted in outcome.restarts
    ]
    warnings: dict[str, int] = {}
    for event in core.list_namespaced_event(NAMESPACE, field_selector="type=Warning").items:
        warnings[event.reason] = warnings.get(event.reason, 0) + (event.count or 1)
        outcome.warning_samples.setdefault(
            event.reason, f"{event.involved_object.name}: {event.message}"
        )
    outcome.warnings = warnings
    problems: dict[str, int] = {}
    for path in operators.log_paths:
        for line in path.read_text(errors="replace").splitlines():
            for word in ("Traceback", "ERROR", "CRITICAL"):
                if word in line:
                    problems[word] = problems.get(word, 0) + 1
    outcome.operator_log_problems = problems


def _phase_counts(phases: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for phase in phases.values():
        counts[phase or "(none)"] = counts.get(phase or "(none)", 0) + 1
    return counts
