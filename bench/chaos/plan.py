"""What one chaos run does, drawn from a seed (pure: no I/O, no clock).

Everything random in a run comes from here, so the same seed gives the same
releases, the same approval delays and the same fault schedule. What the
machine makes of them (which reconcile a SIGKILL interrupts) still varies:
the seed fixes the storm, not the weather.

Each release:

    build ─► qa (gate, 2 approvals: alice, bob) ─► soak (wait) ─► compliance (gate: carol) ─► ship

Some builds fail their first attempt and are retried, so attempt 2 Jobs are
part of the "one Job per (run, step, attempt)" count.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tests.integration.releases import gate_step, release_spec, run_step

from appdeploy.k8s.failpoints import POINTS

QA, COMPLIANCE = "qa", "compliance"


@dataclass(frozen=True)
class Approver:
    """A person, as the API server will authenticate them (impersonated)."""

    user: str
    groups: tuple[str, ...]


APPROVERS: dict[str, tuple[Approver, ...]] = {
    QA: (Approver("alice@example.com", ("qa",)), Approver("bob@example.com", ("qa",))),
    COMPLIANCE: (Approver("carol@example.com", ("compliance",)),),
}
"""Who approves each gate: every one of them, so a gate passes with all its approvals."""


class FaultKind(StrEnum):
    KILL = "kill-operator"
    APISERVER = "restart-kube-apiserver"
    ETCD = "restart-etcd"


@dataclass(frozen=True)
class Fault:
    at: float
    """Seconds after the releases were created."""
    kind: FaultKind
    failpoint: str = ""
    """For a kill: arm the replacement operator with this failpoint (it then dies there too)."""


@dataclass(frozen=True)
class Shape:
    """How big a run is (the CLI's flags)."""

    releases: int = 50
    kills: int = 20
    failpoints: tuple[str, ...] = POINTS
    apiserver_restarts: int = 2
    etcd_restarts: int = 1
    window: float = 150.0
    """Seconds over which faults and approvals are spread."""
    seed: int = 1


@dataclass(frozen=True)
class Release:
    name: str
    build_seconds: float
    build_fails_once: bool
    ship_seconds: float
    approval_delays: dict[tuple[str, str], float]
    """(gate, user) -> seconds after the gate opens (seen Waiting) that the person approves."""

    def spec(self) -> dict[str, Any]:
        build = run_step(
            "build",
            seconds=self.build_seconds,
            **(
                {"exit_code": 1, "message": "flaky", "fail_attempts": 1}
                if self.build_fails_once
                else {}
            ),
            retries={"limit": 1, "backoff": "1s"},
        )
        return release_spec(
            build,
            gate_step(QA, ["build"], required=len(APPROVERS[QA]), approvers={"groups": ["qa"]}),
            {"name": "soak", "needs": [QA], "wait": {"duration": "2s"}},
            gate_step(
                COMPLIANCE,
                ["soak"],
                approvers={"groups": ["compliance"]},
                distinctFrom=[QA],
            ),
            run_step("ship", [COMPLIANCE], seconds=self.ship_seconds),
        )


@dataclass(frozen=True)
class Plan:
    shape: Shape
    releases: list[Release]
    faults: list[Fault]


def release_name(index: int) -> str:
    return f"shop-{index:03d}"


def make_plan(shape: Shape) -> Plan:
    """The releases and the fault schedule for ``shape.seed``."""
    rng = random.Random(shape.seed)
    # Two gates one after the other, each approved within this much of opening:
    # the last approvals come near the window's end, so faults keep hitting
    # releases that are still moving.
    spread = shape.window * 0.45
    releases = [
        Release(
            name=release_name(index),
            build_seconds=round(rng.uniform(0, 2), 1),
            build_fails_once=rng.random() < 0.3,
            ship_seconds=round(rng.uniform(0, 1), 1),
            approval_delays={
                (gate, person.user): round(rng.uniform(0, spread), 2)
                for gate, people in APPROVERS.items()
                for person in people
            },
        )
        for index in range(shape.releases)
    ]
    kinds = (
        [FaultKind.KILL] * shape.kills
        + [FaultKind.APISERVER] * shape.apiserver_restarts
        + [FaultKind.ETCD] * shape.etcd_restarts
    )
    moments = sorted(rng.uniform(0.02, 1.0) * shape.window for _ in kinds)
    rng.shuffle(kinds)
    armed = rng.sample(
        [i for i, kind in enumerate(kinds) if kind is FaultKind.KILL],
        min(len(shape.failpoints), shape.kills),
    )
    points = dict(zip(armed, shape.failpoints, strict=False))
    faults = [
        Fault(round(at, 2), kind, points.get(i, ""))
        for i, (at, kind) in enumerate(zip(moments, kinds, strict=True))
    ]
    return Plan(shape, releases, faults)
