"""CLI: python -m bench.chaos [--quick] [--seed N] [--releases 50] [--kills 20] ...

Starts its own local control plane (``--cluster-name``, default ``chaos``),
runs the operator with its admission webhooks on 127.0.0.1, creates the
releases at once, has people approve them at random moments, kills and
restarts things on a seeded schedule, then checks the invariants. Prints a
Markdown report and saves it with results.json, the audit log and the
operator logs. Exits 1 when an invariant failed, 2 when the run could not
be carried out.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from tests.cluster import ClusterError

from bench.chaos.plan import Shape, make_plan
from bench.chaos.report import render, save
from bench.chaos.runner import Options, run
from bench.chaos.verdict import checks
from bench.outputs import default_out_dir, publish

QUICK = Shape(releases=8, kills=4, apiserver_restarts=1, etcd_restarts=1, window=50.0)
"""--quick: every kind of fault once or more, about 1.5 minutes."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    full = Shape()
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a small run: {QUICK.releases} releases, {QUICK.kills} kills, one restart of "
        f"each component, {QUICK.window:g}s (other flags still override)",
    )
    parser.add_argument("--seed", type=int, default=full.seed, help="default: %(default)s")
    parser.add_argument("--releases", type=int, help=f"default: {full.releases}")
    parser.add_argument("--kills", type=int, help=f"operator SIGKILLs (default: {full.kills})")
    parser.add_argument(
        "--apiserver-restarts", type=int, help=f"default: {full.apiserver_restarts}"
    )
    parser.add_argument("--etcd-restarts", type=int, help=f"default: {full.etcd_restarts}")
    parser.add_argument(
        "--no-failpoints", action="store_true", help="do not arm restarts with the failpoints"
    )
    parser.add_argument(
        "--window",
        type=float,
        help=f"seconds over which faults and approvals are spread (default: {full.window:g})",
    )
    parser.add_argument("--cluster-name", default="chaos", help="local cluster name")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the cluster running")
    parser.add_argument(
        "--out", type=Path, help="output directory (default: ~/.cache/appdeploy/chaos/<time>)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds after the last fault for every release to finish (default: %(default)s)",
    )
    return parser


def shape_from(args: argparse.Namespace) -> Shape:
    """The run's shape: the full (or quick) one with the flags given on top."""
    base = QUICK if args.quick else Shape()
    given = {
        "releases": args.releases,
        "kills": args.kills,
        "apiserver_restarts": args.apiserver_restarts,
        "etcd_restarts": args.etcd_restarts,
        "window": args.window,
    }
    fields = {name: value for name, value in given.items() if value is not None}
    if args.no_failpoints:
        fields["failpoints"] = ()
    return Shape(**{**base.__dict__, **fields, "seed": args.seed})


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[chaos] %(message)s", stream=sys.stderr)
    # The chaos's own clients meet refused connections on purpose; the report counts them.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    out_dir: Path = args.out or default_out_dir("chaos")
    plan = make_plan(shape_from(args))
    command = shlex.join(["python", "-m", "bench.chaos", *(sys.argv[1:] if argv is None else argv)])
    options = Options(args.cluster_name, args.keep_cluster, out_dir, args.timeout, command)
    try:
        outcome = run(plan, options)
    except (ClusterError, RuntimeError, TimeoutError) as error:
        print(f"error: {error}\n(logs in {out_dir})", file=sys.stderr)
        return 2
    verdict = checks(outcome)
    report = render(outcome, verdict)
    save(outcome, verdict, out_dir / "results.json")
    publish(report, out_dir, "report, results, audit log and operator logs", prefix="chaos")
    return 0 if all(check.passed for check in verdict) else 1


if __name__ == "__main__":
    sys.exit(main())
