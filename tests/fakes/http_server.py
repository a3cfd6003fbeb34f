"""The part every fake HTTP provider shares: an aiohttp app in its own thread, on 127.0.0.1:0.

Scripted failures (``fail_next``) and a delay let a test say how the provider
misbehaves; ``wait_for_requests`` lets it wait on "the server saw N requests"
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.cluster.wait import wait_for

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Failure:
    """One scripted answer in place of the real one."""

    status: int
    body: Any = None
    """JSON-encoded when not a str."""
    headers: dict[str, str] = field(default_factory=dict)
    after_effect: bool = False
    """Do the real work first, then answer this: a reply lost after the provider acted."""

    def response(self) -> web.Response:
        if isinstance(self.body, str) or self.body is None:
            return web.Response(status=self.status, text=self.body or "", headers=self.headers)
        return web.json_response(self.body, status=self.status, headers=self.headers)


class FakeHttpServer:
    """Base of the fakes: subclasses add routes in ``routes()``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.delay = 0.0
        """Seconds every answer waits before it is sent: a slow provider."""
        self.request_count = 0
        self._failures: deque[Failure] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 500,
        body: Any = None,
        headers: dict[str, str] | None = None,
        after_effect: bool = False,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``body``/``headers``)."""
        with self.lock:
            for _ in range(times):
                self._failures.append(Failure(status, body, dict(headers or {}), after_effect))

    def take_failure(self) -> Failure | None:
        """The next scripted failure, counting the request (called by every handler)."""
        with self.lock:
            self.request_count += 1
            return self._failures.popleft() if self._failures else None

    async def pause(self) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> None:
        """Return once the server has seen ``count`` requests."""
        wait_for(lambda: self.request_count >= count, timeout, f"{count} requests")

    def start(self) -> Self:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT) or not self.port:
            raise RuntimeError(f"{type(self).__name__} did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        future.result(START_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._setup())
        ready.set()
        self._loop.run_forever()

    async def _setup(self) -> None:
        app = web.Application()
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
