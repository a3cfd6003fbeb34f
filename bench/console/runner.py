"""One console bench run: its own cluster, the releases, one console, the list, the live page.

Teardown always happens (ExitStack), also when a round fails: the browser,
the readers, the console and (unless kept) the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from tests.cluster.console import ConsoleProcess
from tests.cluster.state import ClusterState

from appdeploy.console.person import Person
from bench import kube
from bench.console import listing, live, world
from bench.environment import describe
from bench.procstats import CpuSnapshot, snapshot
from bench.results import Environment
from bench.runner import bring_up

log = logging.getLogger("bench")

AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True)
class Options:
    """What to run."""

    releases: int
    requests: int
    updates: int
    warmup: int
    pace: float
    cluster_name: str
    keep_cluster: bool
    out_dir: Path
    command: str


@dataclass
class RunResults:
    """Everything one run measured."""

    options: Options
    environment: Environment
    listing: listing.ListRun
    list_cpu: CpuSnapshot
    """CPU seconds over the list rounds; ``operator`` is the console's process."""
    live: live.LiveRun


def run(options: Options) -> RunResults:
    """Run both parts; always stops the browser, the console and (unless kept) the cluster."""
    options.out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as cleanup:
        cluster = bring_up(options.cluster_name, None, options.keep_cluster, cleanup)
        api = kube.api_client(cluster.kubeconfig)
        log.info("creating %d releases waiting on their qa gate", options.releases)
        names = world.prepare(api, options.releases)
        console = ConsoleProcess.as_person(
            cluster.kubeconfig, options.out_dir / "console.log", world.USER, world.GROUPS
        )
        console.start()
        cleanup.callback(console.stop)
        assert console.process is not None
        state = ClusterState.load(cluster.run_dir / "state.json")
        components = {record.name: record.pid for record in state.processes}
        own = {console.process.pid, *components.values()}
        environment = dataclasses.replace(
            describe(kube.server_version(api), own), command=options.command
        )
        person = Person(world.USER, (*world.GROUPS, AUTHENTICATED))
        log.info("list: %d rounds of GET /releases?namespace=%s", options.requests, world.NAMESPACE)
        before = snapshot(console.process.pid, components)
        listed = asyncio.run(
            listing.measure(
                console.url, cluster.kubeconfig, world.NAMESPACE, person, options.requests
            )
        )
        list_cpu = snapshot(console.process.pid, components).minus(before)
        log.info("live: %d status writes to %s seen in Chromium", options.updates, names[0])
        updates = live.measure(
            api,
            console.url,
            world.NAMESPACE,
            names[0],
            updates=options.updates,
            warmup=options.warmup,
            pace=options.pace,
        )
        return RunResults(options, environment, listed, list_cpu, updates)
    raise AssertionError("unreachable")  # ExitStack never swallows the exception
