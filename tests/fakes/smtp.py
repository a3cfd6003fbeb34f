"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.

It can require AUTH (``username``/``password``; over plain SMTP, which a test
server may allow) and can be told to refuse the next messages with an SMTP
reply (``reject_next(code=451)`` for "try later", 550 for "no").
"""

from __future__ import annotations

import threading
import warnings
from collections import deque
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.cluster.wait import wait_for

LOOPBACK = "127.0.0.1"


class _FreePortController(Controller):
    """aiosmtpd's Controller, bound to port 0: the port is read back from the socket."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # AUTH without TLS is what a loopback test server is for.
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


class FakeSmtp:
    """Accepts mail for anyone; ``messages`` holds what it accepted."""

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.username = username
        self.password = password
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._rejections: deque[str] = deque()
        self._lock = threading.Lock()
        self._controller: _FreePortController | None = None

    @property
    def port(self) -> int:
        assert self._controller is not None
        return int(self._controller.port)

    def url(self, username: str | None = None, password: str | None = None) -> str:
        """``smtp://user:password@127.0.0.1:PORT`` with the server's (or the given) credentials."""
        user, word = username or self.username, password or self.password
        credentials = f"{user}:{word}@" if user else ""
        return f"smtp://{credentials}{LOOPBACK}:{self.port}"

    def reject_next(
        self, times: int = 1, *, code: int = 451, text: str = "try again later"
    ) -> None:
        with self._lock:
            self._rejections.extend([f"{code} {text}"] * times)

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> None:
        wait_for(lambda: len(self.messages) >= count, timeout, f"{count} e-mails")

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self._lock:
            if self._rejections:
                return self._rejections.popleft()
            raw = envelope.original_content or envelope.content or b""
            parsed = message_from_bytes(cast(bytes, raw), policy=policy.default)
            self.messages.append(cast(EmailMessage, parsed))
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> Self:
        auth: dict[str, Any] = {}
        if self.username:
            auth = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = _FreePortController(self, hostname=LOOPBACK, port=0, **auth)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
