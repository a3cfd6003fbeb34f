"""A few random things happening to a running release, each followed by a planning pass.

Jobs finish with odd termination messages (not JSON, huge, unicode, output
names that look like substitutions) or fail; people (allowed or not, signed
or not) approve and reject; time passes; retry and cancel arrive. The
harness (tests/unit/harness.py) applies every plan as the operator would and
fails on a Job created twice; here every pass must also leave a status that
reads back and a valid release that is not Invalid.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from random import Random

from appdeploy.api.status import Phase, StepPhase
from appdeploy.engine import DecisionKind, JobState
from appdeploy.engine.planner import read_status
from tests.fuzz.valid import GROUPS, PEOPLE
from tests.unit.harness import Simulation

OUTPUTS = (
    '{"buildNumber": "412"}',
    "not json",
    '{"x": 1}',
    '{"a": "$(APP_STORE_KEY)"}',
    '{"k": "' + "x" * 5000 + '"}',
    '{"漢": "🚀"}',
    "[1, 2]",
    '{"a": null}',
    "",
    '{"' + "k" * 300 + '": "v"}',
    "\x00",
    '{"a": "b", "a": "c"}',
)
FAILURES = ("boom", "", "exit 1: signing identity not found\n" * 50, "\u202e🚀")
WHO = (*PEOPLE, "mallory@example.com", "system:serviceaccount:ns:default")
DELAYS = (timedelta(seconds=1), timedelta(minutes=30), timedelta(days=3), timedelta(days=400))


def play(simulation: Simulation, seed: int, most: int = 8) -> None:
    """Let up to ``most`` random things happen, reconciling after each."""
    rng = Random(seed ^ 0x5EED)
    for _ in range(rng.randint(1, most)):
        _happen(rng, simulation)
        read_status(simulation.status)
        assert simulation.phase != Phase.INVALID, simulation.model.message


def _happen(rng: Random, simulation: Simulation) -> None:
    active = sorted(n for n, job in simulation.jobs.items() if job.state is JobState.ACTIVE)
    status = simulation.model
    gates = [s.name for s in status.steps if s.type == "gate"]
    waiting = [s.name for s in status.steps if s.type == "gate" and s.phase is StepPhase.WAITING]
    kind = rng.choice(["finish", "finish", "fail", "decide", "decide", "time", "retry", "cancel"])
    if kind in ("finish", "fail") and active:
        name = rng.choice(active)
        job = simulation.jobs[name]
        simulation.jobs[name] = replace(
            job,
            state=JobState.SUCCEEDED if kind == "finish" else JobState.FAILED,
            finished_at=simulation.now,
            exit_code=None if kind == "finish" else rng.choice([1, 137, 255]),
            termination_message=rng.choice(OUTPUTS if kind == "finish" else FAILURES),
            reason="" if kind == "finish" else "Error",
        )
        simulation.reconcile()
    elif kind == "decide" and (waiting or gates):
        simulation.decide(
            rng.choice([DecisionKind.APPROVE] * 4 + [DecisionKind.REJECT]),
            rng.choice(waiting or gates),
            rng.choice(WHO),
            tuple(rng.sample(GROUPS, rng.randint(0, 2))),
            comment=rng.choice(["ok", "", "漢" * 2000]),
            verified=rng.random() < 0.8,
        )
    elif kind == "retry":
        names = [s.name for s in status.steps]
        simulation.request("retry", rng.choice([*names, "failed", "ghost"]))
    elif kind == "cancel":
        simulation.request("cancel", rng.choice(["because", "", "🚀" * 600]))
    elif simulation.last is not None and simulation.last.requeue_after is not None:
        simulation.wake()
    else:
        simulation.advance(rng.choice(DELAYS))
