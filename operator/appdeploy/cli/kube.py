"""Connecting to a cluster the way kubectl does: kubeconfig, context, namespace, impersonation.

The flags (``appdeploy.cli.connection_flags``) mean what they mean for
kubectl, so ``kubectl appdeploy`` behaves like any other kubectl command.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from kubernetes import client, config
from kubernetes.client import rest
from urllib3 import HTTPHeaderDict


@dataclass
class Connection:
    """An API client and the namespace commands act in."""

    api_client: client.ApiClient
    namespace: str


def connect(args: argparse.Namespace) -> Connection:
    """An API client from the flags; raises config.ConfigException with kubectl-like text."""
    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=args.kubeconfig, context=args.context, client_configuration=configuration
    )
    api_client = client.ApiClient(configuration)
    if args.as_groups and not args.as_user:
        raise ValueError("--as-group needs --as (as for kubectl)")
    if args.as_user:
        api_client.set_default_header("Impersonate-User", args.as_user)  # type: ignore[no-untyped-call]
        api_client.rest_client = _GroupImpersonation(configuration, args.as_groups)
    namespace = args.namespace or _context_namespace(args) or "default"
    return Connection(api_client, namespace)


class _GroupImpersonation(rest.RESTClientObject):
    """Sends one ``Impersonate-Group`` header line per group, as kubectl does.

    The API server reads each line as one group; the client's default headers
    hold one value per name, so the lines are added per request.
    """

    def __init__(self, configuration: client.Configuration, groups: list[str]) -> None:
        super().__init__(configuration)
        self.groups = list(groups)

    def request(  # type: ignore[no-untyped-def]
        self, method, url, headers=None, body=None, post_params=None, _request_timeout=None
    ):
        merged = HTTPHeaderDict(headers or {})
        for group in self.groups:
            merged.add("Impersonate-Group", group)
        return super().request(method, url, merged, body, post_params, _request_timeout)  # type: ignore[no-untyped-call]


def _context_namespace(args: argparse.Namespace) -> str | None:
    try:
        contexts, active = config.list_kube_config_contexts(config_file=args.kubeconfig)  # type: ignore[no-untyped-call]
    except config.ConfigException:
        return None
    chosen: Any = next((c for c in contexts if c["name"] == args.context), active)
    return chosen.get("context", {}).get("namespace") if chosen else None
