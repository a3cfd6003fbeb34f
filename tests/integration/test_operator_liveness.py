"""A half-open connection to the API server: requests time out, and a stuck worker fails /healthz.

The operator talks to the real API server through a loopback relay. Once a
release is waiting on a timer, the relay stops moving bytes (connections stay
open, nothing answers), as a dead load balancer would. The operator's next
reconcile then either times out (and is retried), or, with a read timeout
longer than the liveness bound, hangs; /healthz must then say so.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.cluster.half_open import HoldingProxy
from tests.cluster.operator import OperatorProcess
from tests.cluster.ports import LOOPBACK
from tests.cluster.wait import wait_for
from tests.integration.releases import Releases, release_spec

TIMEOUT = 60.0


class HalfOpenStory:
    """An operator on its own namespace whose API server connection can go silent."""

    def __init__(self, kubeconfig: Path, namespace: str, directory: Path) -> None:
        config = yaml.safe_load(kubeconfig.read_text())
        server = urlsplit(config["clusters"][0]["cluster"]["server"])
        assert server.hostname == LOOPBACK and server.port
        self.proxy = HoldingProxy((LOOPBACK, server.port))
        config["clusters"][0]["cluster"]["server"] = f"https://{LOOPBACK}:{self.proxy.port}"
        self.kubeconfig = directory / "through-proxy.kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump(config))
        self.namespace = namespace
        self.log = directory / "operator.log"
        self.operator: OperatorProcess | None = None

    def start(self, *flags: str) -> OperatorProcess:
        self.operator = OperatorProcess(
            self.kubeconfig,
            self.log,
            ["--trust-unverified-approvals", "-n", self.namespace, *flags],
        ).start()
        return self.operator

    def healthz(self) -> int:
        assert self.operator is not None
        url = f"http://{LOOPBACK}:{self.operator.health_port}/healthz"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(url, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def close(self) -> None:
        self.proxy.close()
        if self.operator is not None:
            self.operator.stop()


@pytest.fixture
def half_open(cluster: Any, unwatched_namespace: str, tmp_path: Path) -> Iterator[HalfOpenStory]:
    story = HalfOpenStory(cluster.kubeconfig, unwatched_namespace, tmp_path)
    yield story
    story.close()


@pytest.fixture
def story(unwatched_releases: Releases) -> Releases:
    return unwatched_releases


def a_release_waiting_on_a_timer(story: Releases) -> None:
    """The operator will reconcile it again in 2s, with no watch event needed."""
    story.apply("shop", release_spec({"name": "soak", "wait": {"duration": "2s"}}))
    story.wait_for("shop", steps={"soak": "Running"})


def test_a_request_to_a_silent_api_server_times_out_and_is_retried(
    half_open: HalfOpenStory, story: Releases
) -> None:
    operator = half_open.start("--api-read-timeout", "1s", "--stuck-reconcile-after", "1m")
    a_release_waiting_on_a_timer(story)
    half_open.proxy.hold()
    wait_for(
        lambda: (
            "reconcile failed" in operator.log_tail(200) and "timed out" in operator.log_tail(200)
        ),
        TIMEOUT,
        f"the operator to log a timed-out reconcile (log: {operator.log_path})",
    )
    assert half_open.healthz() == 200, "a worker that timed out is not stuck"


def test_a_worker_stuck_in_one_reconcile_fails_liveness(
    half_open: HalfOpenStory, story: Releases
) -> None:
    # A read timeout far beyond the liveness bound: the reconcile hangs on the silent server.
    half_open.start("--api-read-timeout", "1h", "--stuck-reconcile-after", "1s")
    assert half_open.healthz() == 200
    a_release_waiting_on_a_timer(story)
    half_open.proxy.hold()
    wait_for(lambda: half_open.healthz() == 500, TIMEOUT, "/healthz to answer 500")
