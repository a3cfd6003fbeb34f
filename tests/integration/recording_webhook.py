"""A tiny admission webhook on 127.0.0.1 that allows everything and records what reached it.

Pointing appdeploy's webhook configurations at it shows which requests the
real API server sends to each hook: its ``rules``, ``namespaceSelector`` and
CEL ``matchConditions`` are evaluated by the API server itself, not by a copy
of the expressions in a test.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.cluster.certs import CertPair
from tests.cluster.ports import LOOPBACK


@dataclass(frozen=True)
class Review:
    """One AdmissionReview request: which hook (URL path) saw which operation on what."""

    hook: str
    operation: str
    name: str
    annotations: dict[str, str]


class RecordingWebhook:
    """HTTPS on 127.0.0.1 (an ephemeral port), serving ``serving``'s certificate."""

    def __init__(self, serving: CertPair) -> None:
        self.reviews: list[Review] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                review = json.loads(self.rfile.read(length))
                recorder._record(urlsplit(self.path).path.strip("/"), review["request"])
                body = json.dumps(
                    {
                        "apiVersion": "admission.k8s.io/v1",
                        "kind": "AdmissionReview",
                        "response": {"uid": review["request"]["uid"], "allowed": True},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the API server's requests are recorded, not printed

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(Path(serving.cert), Path(serving.key))
        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f"https://{LOOPBACK}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, hook: str, request: dict[str, Any]) -> None:
        metadata = (request.get("object") or {}).get("metadata") or {}
        review = Review(
            hook=hook,
            operation=request["operation"],
            name=metadata.get("name") or request.get("name") or "",
            annotations=dict(metadata.get("annotations") or {}),
        )
        with self._lock:
            self.reviews.append(review)

    def hooks_that_saw(self, annotation: str, value: str) -> set[str]:
        """The hooks that received an object carrying ``annotation: value``."""
        with self._lock:
            return {r.hook for r in self.reviews if r.annotations.get(annotation) == value}

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
