"""Stored releases for the console's view tests, moved forward by the real planner."""

from __future__ import annotations

from typing import Any

from tests.unit.harness import T0, UID, Simulation


def body_of(sim: Simulation, namespace: str = "ns") -> dict[str, Any]:
    """The AppDeployment as the API server would return it after the simulated passes."""
    return {
        "metadata": {
            "name": sim.name,
            "namespace": namespace,
            "generation": sim.generation,
            "uid": UID,
            "creationTimestamp": T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resourceVersion": "1",
        },
        "spec": sim.spec,
        "status": sim.status,
    }


def gates_waiting() -> Simulation:
    """The gates fixture: qa (2 of group qa) waiting; compliance distinctFrom qa after it."""
    sim = Simulation.of("gates")
    sim.reconcile()
    return sim
