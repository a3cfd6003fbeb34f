"""CLI: python -m bench.console [--releases 1000] [--requests 100] [--updates 100] ...

Two figures of the web console (issue #12), on its own local control plane
(``--cluster-name``, default ``console-bench``), without an operator:

  list  1,000 AppDeployments whose status says the qa gate waits (as the
        planner writes it), ``appdeploy console --as alice --as-group qa``
        (RBAC granted), then GET /releases?namespace=NS ``--requests`` times:
        the page's time and size, the API server's list alone, and what is
        left for the console (decoding, "Waiting on me", rendering)
  live  one release's page open in headless Chromium (/usr/bin/chromium),
        ``--updates`` status writes: write → the page's DOM change, next to
        write → a plain watch event and write → the SSE event reaching the page

Figures are reported, never asserted (docs/benchmarks.md, "Console").

Examples:
  make bench-console                                   # = python -m bench.console
  python -m bench.console --releases 100 --requests 20 --updates 50   # a quick look
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from pathlib import Path

from tests.cluster import ClusterError

from bench.console.report import render, save
from bench.console.runner import Options, run
from bench.outputs import default_out_dir, publish


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.console",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--releases", type=int, default=1000, help="releases in the namespace")
    parser.add_argument("--requests", type=int, default=100, help="list rounds measured")
    parser.add_argument("--updates", type=int, default=100, help="status writes measured")
    parser.add_argument("--warmup", type=int, default=3, help="status writes not counted")
    parser.add_argument(
        "--pace", type=float, default=0.2, help="seconds between a write being seen and the next"
    )
    parser.add_argument("--cluster-name", default="console-bench", help="local cluster name")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the cluster running")
    parser.add_argument(
        "--out",
        type=Path,
        help="output directory (default: ~/.cache/appdeploy/bench-console/<time>)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if min(args.releases, args.requests, args.updates) < 1 or args.warmup < 1:
        print(
            "error: --releases, --requests, --updates and --warmup must be 1 or more",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request
    for name in [name for name in os.environ if name.lower().endswith("_proxy")]:
        del os.environ[name]  # httpx honours them; everything here is on loopback
    out_dir: Path = args.out or default_out_dir("bench-console")
    given = sys.argv[1:] if argv is None else argv
    options = Options(
        releases=args.releases,
        requests=args.requests,
        updates=args.updates,
        warmup=args.warmup,
        pace=args.pace,
        cluster_name=args.cluster_name,
        keep_cluster=args.keep_cluster,
        out_dir=out_dir,
        command=shlex.join(["python", "-m", "bench.console", *given]),
    )
    try:
        results = run(options)
    except (ClusterError, RuntimeError, TimeoutError) as error:
        # The browser, the console and the cluster are already stopped; the log stays.
        print(f"error: {error}\n(console log: {out_dir / 'console.log'})", file=sys.stderr)
        return 1
    report = render(results)
    save(results, out_dir / "results.json")
    publish(report, out_dir, "results, report and console log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
