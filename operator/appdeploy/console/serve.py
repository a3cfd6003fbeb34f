"""Running the console: the local mode's kubeconfig or client mode's API server, then serve."""

from __future__ import annotations

import asyncio
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from appdeploy.console.app import build_app
from appdeploy.console.kube import Cluster, client_cluster, local_cluster
from appdeploy.console.security import Guard
from appdeploy.console.session import Console

IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"


@dataclass
class ConsoleOptions:
    """What ``appdeploy console`` was asked for."""

    host: str = "127.0.0.1"
    port: int = 8765
    client_auth: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str = ""
    as_user: str | None = None
    as_groups: list[str] = field(default_factory=list)
    api_server: str = ""
    api_ca: str = IN_CLUSTER_CA
    public_url: str = ""
    csrf_secret: bytes | None = None
    """Shared by every replica; None: a random one for this process."""

    @property
    def url(self) -> str:
        """Where people open it."""
        return self.public_url or f"http://{self.host}:{self.port}/"


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8765`` for IPv6); ValueError naming the flag otherwise."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--address {address}: expected HOST:PORT, e.g. 127.0.0.1:8765")
    return host, int(port)


def in_cluster_server() -> str:
    """The API server as Kubernetes tells every pod (KUBERNETES_SERVICE_HOST/PORT)."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        raise ValueError("--auth client needs --api-server (or KUBERNETES_SERVICE_HOST in a pod)")
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def make_cluster(options: ConsoleOptions) -> Cluster:
    """Local mode: the kubeconfig's cluster and user; client mode: the API server only."""
    if options.client_auth:
        return client_cluster(options.api_server or in_cluster_server(), options.api_ca)
    return local_cluster(options.kubeconfig, options.context, options.as_user, options.as_groups)


def make_console(options: ConsoleOptions) -> Console:
    """The console's shared parts for ``options``."""
    secure = urlsplit(options.public_url).scheme == "https"
    guard = Guard(options.csrf_secret, origin=_origin(options.public_url), secure=secure)
    return Console(make_cluster(options), guard, options.client_auth, options.namespace)


MIN_SECRET = 32


def read_secret(path: str) -> bytes | None:
    """The CSRF secret in ``path`` (None without a path); ValueError naming the flag."""
    if not path:
        return None
    try:
        secret = Path(path).read_bytes().strip()
    except OSError as error:
        raise ValueError(f"--csrf-secret-file {path}: {error.strerror}") from None
    if len(secret) < MIN_SECRET:
        raise ValueError(f"--csrf-secret-file {path}: needs at least {MIN_SECRET} bytes")
    return secret


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def serve(options: ConsoleOptions, ready: asyncio.Event | None = None) -> None:
    """Serve until cancelled."""
    runner = web.AppRunner(build_app(make_console(options)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port)
    await site.start()
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
