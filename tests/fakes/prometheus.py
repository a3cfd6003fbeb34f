"""A fake Prometheus HTTP API: instant queries, ``GET|POST /api/v1/query``.

A test says what each query evaluates to (``set_vector``, ``set_scalar``,
``set_error``); a query nobody set evaluates to an empty vector, as a query
for a series that does not exist does in Prometheus. Answers have the real
envelope: ``{"status": "success", "data": {"resultType", "result"}}`` with
values as strings (``"0.99"``, ``"NaN"``, ``"+Inf"``), and errors as
``{"status": "error", "errorType", "error"}`` with 400 (bad_data), 422
(execution) or 503 (timeout, unavailable).
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tests.fakes.http_server import FakeHttpServer

ERROR_STATUS = {"bad_data": 400, "execution": 422, "timeout": 503, "unavailable": 503}


class FakePrometheus(FakeHttpServer):
    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, dict[str, Any]] = {}
        self.queries: list[str] = []
        """Every query received, in order."""

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/api/v1/query", self._query), web.post("/api/v1/query", self._query)]

    def set_vector(self, query: str, *series: tuple[dict[str, str], str]) -> None:
        """``query`` evaluates to these ``(labels, value)`` series (none: an empty vector)."""
        now = time.time()
        result = [{"metric": labels, "value": [now, value]} for labels, value in series]
        self.answers[query] = {"resultType": "vector", "result": result}

    def set_scalar(self, query: str, value: str) -> None:
        self.answers[query] = {"resultType": "scalar", "result": [time.time(), value]}

    def set_matrix(self, query: str, labels: dict[str, str], *values: str) -> None:
        """A range-vector selector (``rate[5m]`` without the function) evaluates to a matrix."""
        now = time.time()
        points = [[now - 15 * index, value] for index, value in enumerate(values)]
        self.answers[query] = {
            "resultType": "matrix",
            "result": [{"metric": labels, "values": points}],
        }

    def set_error(self, query: str, error_type: str, error: str) -> None:
        """``query`` fails as Prometheus fails: bad_data (a parse error), execution, timeout."""
        self.answers[query] = {"errorType": error_type, "error": error}

    async def _query(self, request: web.Request) -> web.StreamResponse:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        form = await request.post() if request.method == "POST" else request.query
        query = str(form.get("query", ""))
        with self.lock:
            self.queries.append(query)
        if not query:
            return self._error("bad_data", 'invalid parameter "query": query must not be empty')
        answer = self.answers.get(query, {"resultType": "vector", "result": []})
        if "errorType" in answer:
            return self._error(answer["errorType"], answer["error"])
        return web.json_response({"status": "success", "data": answer})

    def _error(self, error_type: str, error: str) -> web.Response:
        return web.json_response(
            {"status": "error", "errorType": error_type, "error": error},
            status=ERROR_STATUS.get(error_type, 400),
        )
