"""``appdeploy``: the operator process today; validate, approve and friends come next.

Exit codes: 0 success, 1 failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

from appdeploy import __version__
from appdeploy.api.durations import parse_duration


def _duration_or_never(text: str) -> timedelta | None:
    if text in ("never", "none", "0"):
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="appdeploy",
        description="Orchestrate mobile app releases on Kubernetes.",
        epilog="Exit codes: 0 success, 1 failure, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"appdeploy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    operator = commands.add_parser(
        "operator",
        help="run the operator (reconciles AppDeployments into Jobs, gates and waits)",
        description="Run the appdeploy operator until interrupted. It uses the in-cluster "
        "service account, or KUBECONFIG / ~/.kube/config outside a cluster.",
    )
    operator.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        metavar="NS",
        help="watch this namespace (repeatable); default: the whole cluster",
    )
    operator.add_argument(
        "--trust-unverified-approvals",
        action="store_true",
        help="count approvals the admission webhook did not sign (only for clusters "
        "without the webhook: anyone who can annotate can then approve as anyone)",
    )
    operator.add_argument(
        "--job-ttl",
        type=_duration_or_never,
        default=timedelta(hours=24),
        metavar="DURATION",
        help="delete finished step Jobs after this long, e.g. 24h (default), or 'never'",
    )
    operator.add_argument(
        "--workers",
        type=int,
        default=4,
        metavar="N",
        help="releases reconciled in parallel (default 4)",
    )
    operator.add_argument(
        "--health-address",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="where to serve the liveness endpoint /healthz (default 127.0.0.1:8080; "
        "use 0.0.0.0:8080 in a pod)",
    )
    operator.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="text: one human-readable line per transition (default); json: JSON lines",
    )
    operator.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``appdeploy`` command."""
    args = build_parser().parse_args(argv)
    if args.command == "operator":
        # kopf and the kubernetes client load slowly; only the operator needs them.
        from appdeploy.controller.config import OperatorConfig  # noqa: PLC0415
        from appdeploy.controller.logs import configure_logging  # noqa: PLC0415
        from appdeploy.controller.operator import run  # noqa: PLC0415

        if args.workers < 1:
            print("appdeploy operator: --workers must be at least 1", file=sys.stderr)
            return 2
        configure_logging(args.log_format, args.verbose)
        run(
            OperatorConfig(
                namespaces=tuple(args.namespace),
                trust_unverified_approvals=args.trust_unverified_approvals,
                job_ttl=args.job_ttl,
                workers=args.workers,
                health_address=args.health_address,
            )
        )
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
