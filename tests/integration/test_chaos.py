"""The chaos suite, small: it must hold its invariants in CI too (docs/reliability.md).

Three releases with two signed-approval gates each, the operator killed three
times with each restart armed with one of the failpoints, kube-apiserver and
etcd restarted once: every release succeeds, one Job per (run, step,
attempt) by the audit log and by a Job watch, every approval sent is
recorded and verified. The full run is ``make chaos``; this one starts a
cluster of its own (the restarts would disturb the session's) and takes
about two minutes.
"""

from __future__ import annotations

from pathlib import Path

from bench.chaos.plan import Shape, make_plan
from bench.chaos.report import render
from bench.chaos.runner import Options, run
from bench.chaos.verdict import checks

SMALL = Shape(releases=3, kills=3, apiserver_restarts=1, etcd_restarts=1, window=30.0, seed=7)


def test_a_small_storm_keeps_every_invariant(tmp_path: Path) -> None:
    plan = make_plan(SMALL)
    options = Options(
        cluster_name="chaos-test",
        keep_cluster=False,
        out_dir=tmp_path / "out",
        timeout=120,
        command="pytest tests/integration/test_chaos.py",
        run_dir=tmp_path / "cluster",
    )
    outcome = run(plan, options)
    verdict = checks(outcome)
    assert all(check.passed for check in verdict), render(outcome, verdict)
    # Every kill here is armed: each gives the SIGKILL and then the failpoint's death.
    assert len(outcome.crashes) >= 2 * SMALL.kills
    assert sorted(r.component for r in outcome.restarts) == ["etcd", "kube-apiserver"]
