"""kubectl's connection flags (``-n``, ``--context``, ``--kubeconfig``, ``--as``, ``--as-group``).

Kept apart from ``kube`` so registering the cluster commands loads no
kubernetes client: ``appdeploy validate`` in a pre-commit hook stays fast.
"""

from __future__ import annotations

import argparse


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """The kubectl-compatible flags every cluster command takes."""
    group = parser.add_argument_group("cluster connection (as for kubectl)")
    group.add_argument("-n", "--namespace", help="namespace (default: the context's)")
    group.add_argument("--context", help="kubeconfig context to use")
    group.add_argument("--kubeconfig", help="path to the kubeconfig (default: $KUBECONFIG)")
    group.add_argument("--as", dest="as_user", metavar="USER", help="act as this user")
    group.add_argument(
        "--as-group",
        dest="as_groups",
        action="append",
        default=[],
        metavar="GROUP",
        help="act as a member of this group (repeatable)",
    )
