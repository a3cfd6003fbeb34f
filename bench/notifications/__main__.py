"""CLI: python -m bench.notifications [--releases 200] [--delivery-workers 8] [--delay 2] ...

200 gates opening at once, notifying a channel whose fake provider answers
slowly. Starts its own local control plane (``--cluster-name``, default
``notify-bench``), a signature-checking webhook sink and a fake Slack on
127.0.0.1 (both answering after ``--delay`` seconds), and the operator. Then,
phase after phase on the same operator, creates the releases at once (a
run step, then a gate that the bench approves the moment it opens):

  baseline  the gate names no channel: the reconcile latency without delivery
  webhook   the gate notifies a webhook channel (signed, Idempotency-Key)
  slack     the gate notifies a Slack channel (record id in message metadata)

and reports the reconcile latency of each phase (Job completion → gate
Waiting, approval → Succeeded), the delivery latency (record seen in status →
the fake has it; createdAt → the fake has it), receipts per record id
(duplicates), and the operator's API requests per gate beyond the baseline.
Figures are reported, never asserted (docs/benchmarks.md, "Notifications").

Examples:
  make bench-notifications                                   # = python -m bench.notifications
  make bench-notifications BENCH_ARGS="--delivery-workers 32"
  python -m bench.notifications --releases 50                       # a quick look
  python -m bench.notifications                                     # 200 gates, 8 delivery workers
  python -m bench.notifications --delivery-workers 32
  python -m bench.notifications --controller-manager-qps 200        # gates open within seconds
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from tests.cluster import ClusterError

from bench.notifications.figures import compare, phase_figures
from bench.notifications.report import render, save
from bench.notifications.runner import Options, run
from bench.notifications.shape import PHASES
from bench.outputs import default_out_dir, publish


def _phases(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in PHASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"phases are {', '.join(PHASES)}; got {text!r}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notifications",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--releases", type=int, default=200, help="releases (gates) per phase")
    parser.add_argument(
        "--phases",
        type=_phases,
        default=tuple(PHASES),
        help="comma-separated, in order (default: %(default)s)",
    )
    parser.add_argument("--workers", type=int, default=4, help="operator --workers")
    parser.add_argument(
        "--delivery-workers", type=int, default=8, help="operator --delivery-workers"
    )
    parser.add_argument(
        "--delay", type=float, default=2.0, help="seconds the fake providers take to answer"
    )
    parser.add_argument(
        "--controller-manager-qps",
        type=int,
        metavar="N",
        help="raise kube-controller-manager's client limit (stock: 20/s) so Jobs finish, and "
        "gates open, within seconds of each other",
    )
    parser.add_argument("--cluster-name", default="notify-bench", help="local cluster name")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the cluster running")
    parser.add_argument(
        "--out",
        type=Path,
        help="output directory (default: ~/.cache/appdeploy/bench-notifications/<time>)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds per phase to finish and deliver"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s", stream=sys.stderr)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # a line per fake request
    out_dir: Path = args.out or default_out_dir("bench-notifications")
    given = sys.argv[1:] if argv is None else argv
    options = Options(
        releases=args.releases,
        phases=tuple(PHASES[name] for name in args.phases),
        workers=args.workers,
        delivery_workers=args.delivery_workers,
        delay=args.delay,
        cluster_name=args.cluster_name,
        keep_cluster=args.keep_cluster,
        out_dir=out_dir,
        timeout=args.timeout,
        controller_manager_qps=args.controller_manager_qps,
        command=shlex.join(["python", "-m", "bench.notifications", *given]),
    )
    try:
        results = run(options)
    except (ClusterError, RuntimeError, TimeoutError) as error:
        # The cluster, the fakes and the operator are already stopped; the log stays.
        print(f"error: {error}\n(operator log: {out_dir / 'operator.log'})", file=sys.stderr)
        return 1
    phases = [phase_figures(phase) for phase in results.phases]
    compare(phases)
    report = render(results, phases)
    save(results, phases, out_dir / "results.json")
    publish(report, out_dir, "results, report and operator log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
