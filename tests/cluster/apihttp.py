"""A minimal HTTPS client for the launcher's own API calls and health probes.

The launcher talks to the API server for a handful of requests (readiness,
creating the node, checking the default ServiceAccount); the standard library
keeps it independent of the kubernetes client and fast to import.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.cluster.certs import CertPair

_TIMEOUT_SECONDS = 5.0


class HttpError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"HTTP {status}: {body[:500]}")


class Http:
    """mTLS-capable JSON client that never uses proxy settings from the env.

    A configured HTTP(S)_PROXY must not turn a loopback call into traffic to
    a proxy host.
    """

    def __init__(self, ca: Path | None = None, client: CertPair | None = None) -> None:
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if ca is not None:
            context = ssl.create_default_context(cafile=str(ca))
            if client is not None:
                context.load_cert_chain(str(client.cert), str(client.key))
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def request(self, method: str, url: str, body: object | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=_TIMEOUT_SECONDS) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise HttpError(error.code, error.read().decode(errors="replace")) from None
        if not payload:
            return None
        try:
            return json.loads(payload)
        except json.JSONDecodeError:
            return payload.decode(errors="replace")

    def get(self, url: str) -> Any:
        return self.request("GET", url)

    def healthy(self, url: str) -> bool:
        """True if `url` answers 2xx; connection errors mean "not yet"."""
        try:
            self.request("GET", url)
        except (HttpError, OSError):
            return False
        return True
