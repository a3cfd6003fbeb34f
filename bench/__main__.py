"""CLI: python -m bench [--releases 200] [--workers 4] [--keep-cluster].

Starts its own local control plane (``--cluster-name``, default ``bench``,
so it never touches a developer's or CI's cluster), runs the operator
against it, creates the releases at once, prints a Markdown report and
saves it with the raw samples (results.json) and the operator log.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tests.cluster import ClusterError

from bench.outputs import default_out_dir, publish
from bench.report import render
from bench.runner import Options, run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--releases", type=int, default=200, help="releases created at once")
    parser.add_argument("--workers", type=int, default=4, help="operator --workers")
    parser.add_argument("--cluster-name", default="bench", help="local cluster name")
    parser.add_argument(
        "--keep-cluster", action="store_true", help="leave the cluster running afterwards"
    )
    parser.add_argument(
        "--out", type=Path, help="output directory (default: ~/.cache/appdeploy/bench/<time>)"
    )
    parser.add_argument(
        "--floor-samples", type=int, default=200, help="idle create→watch round trips"
    )
    parser.add_argument(
        "--floor-interval",
        type=float,
        default=0.25,
        help="seconds between round trips measured under load",
    )
    parser.add_argument(
        "--calibration-pods",
        type=int,
        default=200,
        help="plain pods measuring the operator's CPU per watch event (0: skip)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds for all releases to finish"
    )
    parser.add_argument(
        "--controller-manager-qps",
        type=int,
        metavar="N",
        help="raise kube-controller-manager's client limit (stock: 20/s) so the Job "
        "controller is not the bottleneck",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s", stream=sys.stderr)
    out_dir: Path = args.out or default_out_dir("bench")
    options = Options(
        releases=args.releases,
        workers=args.workers,
        cluster_name=args.cluster_name,
        keep_cluster=args.keep_cluster,
        out_dir=out_dir,
        floor_idle_samples=args.floor_samples,
        floor_interval=args.floor_interval,
        calibration_pods=args.calibration_pods,
        timeout=args.timeout,
        controller_manager_qps=args.controller_manager_qps,
    )
    try:
        results = run(options)
    except (ClusterError, RuntimeError, TimeoutError) as error:
        # The cluster and the operator are already stopped; the log stays.
        print(f"error: {error}\n(operator log: {out_dir / 'operator.log'})", file=sys.stderr)
        return 1
    report = render(results)
    results.save(out_dir / "results.json")
    publish(report, out_dir, "results, report and operator log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
