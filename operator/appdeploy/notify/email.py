"""E-mail transport: one message per record through an SMTP server, with aiosmtplib.

The Message-ID is derived from the record id (``<id@appdeploy.dev>``), so a
record that follows another (``thread``) sets In-Reply-To and References to
that one's Message-ID without having to remember anything, and mail clients
thread a gate's messages together. SMTP cannot be asked what it delivered and
a resend is a second e-mail, so e-mail is at-most-once by default.

The server is a URL in a Secret: ``smtp://user:password@host:port`` speaks
plain SMTP and upgrades with STARTTLS when the server offers it
(``?starttls=required`` refuses to go on without it); ``smtps://`` is TLS from
the first byte (port 465). Percent-encode an ``@`` in the user name (``%40``).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from appdeploy.notify.redaction import redact
from appdeploy.notify.render import plain_text
from appdeploy.notify.transport import DeliveryError, Message

MESSAGE_ID_DOMAIN = "appdeploy.dev"
DEFAULT_TIMEOUT = 30.0
"""Seconds for each SMTP exchange: servers greet slowly on purpose (tarpits)."""


def message_id(record_id: str) -> str:
    """The Message-ID of the e-mail that carries record ``record_id``."""
    return f"<{record_id}@{MESSAGE_ID_DOMAIN}>"


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect, parsed from the channel's ``smtp://`` URL."""

    hostname: str
    port: int | None
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None
    """True: required; None: when the server offers it (aiosmtplib's meaning)."""

    def __repr__(self) -> str:
        return f"SmtpServer({self.hostname}:{self.port}, tls={self.use_tls})"


def parse_smtp_url(url: str) -> SmtpServer:
    """The server of ``smtp[s]://[user:password@]host[:port][?starttls=required]``.

    Raises DeliveryError (not retryable) without repeating the URL, which holds
    the password.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DeliveryError("email: the SMTP URL is not a valid URL", retryable=False) from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryError(
            "email: the SMTP URL must look like smtp://user:password@host:port or smtps://…",
            retryable=False,
        )
    starttls = parse_qs(parts.query).get("starttls", [""])[-1]
    if starttls not in ("", "required"):
        raise DeliveryError("email: starttls= takes only 'required'", retryable=False)
    return SmtpServer(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=parts.scheme == "smtps",
        start_tls=True if starttls == "required" else None,
    )


def email_message(message: Message, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail for ``message``: Subject is the title, threaded under ``record.thread``."""
    record = message.record
    mail = EmailMessage()
    mail["Subject"] = record.title
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(record.created_at.timestamp(), usegmt=True)
    mail["Message-ID"] = message_id(record.id)
    if record.thread:
        mail["In-Reply-To"] = message_id(record.thread)
        mail["References"] = message_id(record.thread)
    mail["X-Appdeploy-Event"] = str(record.event)
    mail["X-Appdeploy-Release"] = message.release
    mail.set_content(plain_text(message) + "\n")
    return mail


def smtp_error(error: aiosmtplib.SMTPException, secrets: list[str]) -> DeliveryError:
    """4xx (try later) is retryable, 5xx (refused) is not; a lost connection is retryable."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        codes = [refused.code for refused in error.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        return DeliveryError(
            f"email: recipients refused: {redact(detail, secrets)}",
            retryable=all(400 <= code < 500 for code in codes),
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return DeliveryError(
            f"email: {type(error).__name__}: {error.code} {redact(error.message, secrets)}",
            retryable=400 <= error.code < 500,
        )
    # What is left is either the connection (lost, timed out: try later) or the
    # server's abilities (no STARTTLS, no usable AUTH), which will not change.
    return DeliveryError(
        f"email: {type(error).__name__}: {redact(str(error), secrets)}",
        retryable=isinstance(error, ConnectionError | TimeoutError),
    )


class EmailSender:
    """Sends each record as one e-mail from ``sender`` to ``recipients``."""

    def __init__(
        self,
        smtp_url: str,
        sender: str,
        recipients: list[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._smtp_url = smtp_url
        self._sender = sender
        self._recipients = recipients
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"EmailSender(to={self._recipients})"

    async def send(self, message: Message) -> str:
        """Send the e-mail; its Message-ID."""
        server = parse_smtp_url(self._smtp_url)
        secrets = [self._smtp_url, server.password or ""]
        mail = email_message(message, self._sender, self._recipients)
        try:
            await aiosmtplib.send(
                mail,
                hostname=server.hostname,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.use_tls,
                start_tls=server.start_tls,
                timeout=self._timeout,
                # getfqdn() may ask a DNS server; the pod's own name is what it is.
                local_hostname=socket.gethostname(),
            )
        except aiosmtplib.SMTPException as error:
            raise smtp_error(error, secrets) from None
        except OSError as error:
            raise DeliveryError(
                f"email: {type(error).__name__}: {redact(str(error), secrets)}", retryable=True
            ) from None
        return message_id(message.record.id)

    async def find_sent(self, message: Message) -> str | None:
        """SMTP cannot be asked what it delivered."""
        return None

    async def close(self) -> None:
        """Each send opens and closes its own connection."""
