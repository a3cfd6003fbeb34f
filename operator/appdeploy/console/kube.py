"""The console's requests to the API server, always as the person using it.

Local mode borrows the person's kubeconfig (as ``kubectl proxy`` does), with
``--as``/``--as-group`` passed through as impersonation headers. Client mode
(in-cluster) holds no credentials at all: each request carries the bearer
token the browser sent, so the API server, RBAC and the approval webhook see
the person, never the console. httpx is used because it is async (a watch per
open page) and already a dependency; the kubernetes client only reads the
kubeconfig.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION

RELEASES = f"/apis/{GROUP}/{VERSION}"
REQUEST_TIMEOUT = httpx.Timeout(15.0, read=15.0)
WATCH_TIMEOUT = httpx.Timeout(15.0, read=None)


class ApiError(Exception):
    """The API server's refusal, its message kept verbatim for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotSignedIn(Exception):
    """Client mode without a token: the person must sign in first."""


@dataclass(frozen=True)
class Credentials:
    """How one request authenticates: headers added to it (token, impersonation)."""

    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Cluster:
    """The API server and one connection pool, shared by every person's requests."""

    server: str
    http: httpx.AsyncClient
    fixed: Credentials | None = None
    """Local mode: the kubeconfig's credentials; None in client mode (each request brings
    its own)."""
    token_hook: Any = field(default=None, repr=False)
    """Local mode with a token (or an exec plugin): returns the current ``Bearer …`` value."""

    def credentials(self, bearer: str | None) -> Credentials:
        """The credentials of one request: the kubeconfig's, or the browser's token."""
        if self.fixed is not None:
            headers = list(self.fixed.headers)
            if self.token_hook is not None:
                headers.insert(0, ("Authorization", str(self.token_hook())))
            return Credentials(tuple(headers))
        if not bearer:
            raise NotSignedIn()
        return Credentials((("Authorization", f"Bearer {bearer}"),))

    async def close(self) -> None:
        await self.http.aclose()


def local_cluster(
    kubeconfig: str | None, context: str | None, as_user: str | None, as_groups: list[str]
) -> Cluster:
    """The kubeconfig's cluster and user; raises ConfigException as kubectl words it."""
    from kubernetes import client, config  # noqa: PLC0415 (only local mode reads a kubeconfig)

    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=kubeconfig, context=context, client_configuration=configuration
    )
    if as_groups and not as_user:
        raise ValueError("--as-group needs --as (as for kubectl)")
    context_ssl = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
    if not configuration.verify_ssl:
        context_ssl.check_hostname = False
        context_ssl.verify_mode = ssl.CERT_NONE
    if configuration.cert_file:
        context_ssl.load_cert_chain(configuration.cert_file, configuration.key_file)
    headers: list[tuple[str, str]] = []
    if as_user:
        headers.append(("Impersonate-User", as_user))
        headers += [("Impersonate-Group", group) for group in as_groups]
    hook = None
    if configuration.api_key.get("authorization") or configuration.refresh_api_key_hook:

        def hook() -> str:
            return str(configuration.get_api_key_with_prefix("authorization"))

    http = httpx.AsyncClient(
        base_url=configuration.host, verify=context_ssl, timeout=REQUEST_TIMEOUT
    )
    return Cluster(configuration.host, http, Credentials(tuple(headers)), hook)


def client_cluster(server: str, ca_file: str) -> Cluster:
    """The API server for in-cluster mode: verified with ``ca_file``, no credentials."""
    http = httpx.AsyncClient(
        base_url=server, verify=ssl.create_default_context(cafile=ca_file), timeout=REQUEST_TIMEOUT
    )
    return Cluster(server, http, None)


@dataclass(frozen=True)
class Kube:
    """One person's view of the API: every call carries their credentials."""

    cluster: Cluster
    credentials: Credentials

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        """One call; ApiError with the server's message when it refuses."""
        headers = [*self.credentials.headers, ("Accept", "application/json")]
        content = None
        if body is not None:
            headers.append(("Content-Type", content_type))
            content = json.dumps(body)
        response = await self._send(method, path, params, headers, content)
        return dict(response.json()) if response.content else {}

    async def text(self, path: str, params: Mapping[str, str]) -> str:
        """A plain-text answer (pod logs)."""
        response = await self._send("GET", path, params, list(self.credentials.headers), None)
        return response.text

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: list[tuple[str, str]],
        content: str | None,
    ) -> httpx.Response:
        try:
            response = await self.cluster.http.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx.HTTPError as error:
            raise ApiError(503, f"the API server did not answer: {error}") from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(response.text, response.reason_phrase))
        return response

    async def watch(self, path: str, params: Mapping[str, str]) -> AsyncIterator[dict[str, Any]]:
        """Watch events (``{"type", "object"}``) until the server ends the watch."""
        query = {**params, "watch": "true", "allowWatchBookmarks": "true"}
        async with self.cluster.http.stream(
            "GET",
            path,
            params=query,
            headers=[*self.credentials.headers, ("Accept", "application/json")],
            timeout=WATCH_TIMEOUT,
        ) as response:
            if response.status_code >= 400:
                text = (await response.aread()).decode(errors="replace")
                raise ApiError(response.status_code, _message(text, response.reason_phrase))
            async for line in response.aiter_lines():
                if line.strip():
                    yield dict(json.loads(line))


def release_path(namespace: str | None, name: str = "") -> str:
    """The REST path of the releases of a namespace (all namespaces when None), or of one."""
    base = f"{RELEASES}/namespaces/{namespace}/{PLURAL}" if namespace else f"{RELEASES}/{PLURAL}"
    return f"{base}/{name}" if name else base


def _message(text: str, reason: str) -> str:
    """The Status object's message (a webhook's refusal, RBAC's forbidden), else the body."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text.strip() or reason
    if isinstance(parsed, dict) and parsed.get("message"):
        return str(parsed["message"])
    return text.strip() or reason
