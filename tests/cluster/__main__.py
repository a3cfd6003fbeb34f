"""CLI: python -m tests.cluster up|down|status [--name NAME | --run-dir DIR]."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from tests.cluster.errors import ClusterError
from tests.cluster.launcher import DEFAULT_TIMEOUT, down, status, up
from tests.cluster.layout import DEFAULT_NAME, default_run_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.cluster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for command, help_text in (
        ("up", "start a cluster; prints the admin kubeconfig path on stdout"),
        ("down", "stop every process of a cluster (also after a failed up)"),
        ("status", "show the cluster's processes; exit 0 only if it is healthy"),
    ):
        sub = commands.add_parser(command, help=help_text)
        sub.add_argument("--name", default=DEFAULT_NAME, help="cluster name (default: %(default)s)")
        sub.add_argument(
            "--run-dir",
            type=Path,
            help="directory for state, logs and certs "
            "(default: <$APPDEPLOY_CACHE_DIR or ~/.cache/appdeploy>/run/<name>)",
        )
        if command == "up":
            sub.add_argument(
                "--no-build", action="store_true", help="fail instead of building missing binaries"
            )
            sub.add_argument(
                "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per readiness wait"
            )
        if command == "down":
            sub.add_argument("--purge", action="store_true", help="also delete the run directory")
    return parser


def _status(run_dir: Path) -> int:
    current = status(run_dir)
    if current is None:
        print(f"no cluster in {run_dir}")
        return 1
    state = current.state
    print(
        f"cluster {state.name}: {state.phase}; "
        f"API server {'ready' if current.apiserver_ready else 'NOT ready'}"
    )
    print(f"  server:     {state.server}")
    print(f"  kubeconfig: {state.kubeconfig}")
    for record in state.processes:
        print(
            f"  {record.name:<24} pid {record.pid:<8} "
            f"{'running' if current.running[record.name] else 'stopped':<8} {record.log}"
        )
    return 0 if current.healthy else 1


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # Turns SIGTERM into an exception so a failed or interrupted `up` still
    # stops the components it already started.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    run_dir: Path = args.run_dir or default_run_dir(args.name)
    try:
        if args.command == "up":
            cluster = up(run_dir, name=args.name, build=not args.no_build, timeout=args.timeout)
            print(cluster.kubeconfig)
            return 0
        if args.command == "down":
            down(run_dir, purge=args.purge)
            return 0
        return _status(run_dir)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
