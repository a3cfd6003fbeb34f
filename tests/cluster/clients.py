"""Kubernetes clients for tests: admin, impersonating, and kubectl argv."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client import rest
from urllib3 import HTTPHeaderDict

KUBECTL = "kubectl"


def _configuration(kubeconfig: Path, pool_size: int | None = None) -> Any:
    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig), client_configuration=configuration
    )
    # The client honours HTTP(S)_PROXY from the environment; the cluster is
    # on loopback and no request may leave the machine through a proxy.
    configuration.proxy = None
    configuration.no_proxy = "*"
    if pool_size is not None:
        configuration.connection_pool_maxsize = pool_size
    return configuration


def admin_client(kubeconfig: Path, pool_size: int | None = None) -> Any:
    """A kubernetes.client.ApiClient with the kubeconfig's (admin) identity.

    ``pool_size`` raises urllib3's connection pool (4) for many parallel watches.
    """
    return client.ApiClient(_configuration(kubeconfig, pool_size))


class _ImpersonatingRest(rest.RESTClientObject):
    """Adds one Impersonate-Group header line per group.

    The API server reads each header line as one group, so groups cannot be
    comma-joined into a single default header, and ApiClient's default
    headers hold one value per name.
    """

    def __init__(self, configuration: Any, groups: Sequence[str]) -> None:
        super().__init__(configuration)
        self._groups = tuple(groups)

    def request(
        self,
        method: Any,
        url: Any,
        headers: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        merged = HTTPHeaderDict(headers or {})
        for group in self._groups:
            merged.add("Impersonate-Group", group)
        return super().request(  # type: ignore[no-untyped-call]
            method, url, merged, body, post_params, _request_timeout
        )


def impersonating_client(kubeconfig: Path, user: str, groups: Sequence[str] = ()) -> Any:
    """An ApiClient that acts as `user` (in `groups`) via impersonation.

    The admin identity may impersonate anyone; the API server then authorizes
    every request as the impersonated user, so RBAC applies as for that user.
    """
    api = client.ApiClient(_configuration(kubeconfig))
    api.set_default_header("Impersonate-User", user)  # type: ignore[no-untyped-call]
    api.rest_client = _ImpersonatingRest(api.configuration, groups)
    return api


def kubectl_argv(
    kubeconfig: Path,
    *args: str,
    as_user: str | None = None,
    groups: Sequence[str] = (),
) -> list[str]:
    """argv for kubectl against the cluster, optionally impersonating."""
    if groups and as_user is None:
        # kubectl itself rejects --as-group without --as; fail where the call is.
        raise ValueError("groups require as_user")
    argv = [KUBECTL, f"--kubeconfig={kubeconfig}"]
    if as_user is not None:
        argv.append(f"--as={as_user}")
    argv.extend(f"--as-group={group}" for group in groups)
    return [*argv, *args]
