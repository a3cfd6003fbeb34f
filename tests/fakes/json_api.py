"""A fake JSON API for the HTTP provider: documents by path, headers checked and recorded.

``documents[path]`` is what ``GET`` or ``POST path`` answers; an unknown path
is a 404 with a JSON error. When ``required_headers`` is set, a request
without exactly those header values gets a 401, as a bearer-token API does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.http_server import FakeHttpServer


class FakeJsonApi(FakeHttpServer):
    def __init__(self, required_headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.documents: dict[str, Any] = {}
        self.raw: dict[str, str] = {}
        """Paths answered with this text instead of JSON (an HTML error page, say)."""
        self.required_headers = dict(required_headers or {})
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        """``(method, path, headers)`` of each request."""

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/{path:.*}", self._answer), web.post("/{path:.*}", self._answer)]

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        with self.lock:
            self.seen.append((request.method, request.path, dict(request.headers)))
        for name, value in self.required_headers.items():
            if request.headers.get(name) != value:
                return web.json_response({"error": "unauthorized"}, status=401)
        if request.path in self.raw:
            return web.Response(text=self.raw[request.path], content_type="text/html")
        if request.path not in self.documents:
            return web.json_response({"error": f"no such path {request.path}"}, status=404)
        return web.json_response(self.documents[request.path])
