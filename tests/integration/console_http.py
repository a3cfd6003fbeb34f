"""A person's browser session with the console, spoken in plain HTTP (httpx).

The console stories use it, and so does ``make demo --auto-approve``, which
approves one gate through a console as its person.

It keeps the console's cookies, reads the CSRF token out of the page it
was given (as a browser submits the page's own form), and posts forms.
"""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]+)"')
ANSWER = re.compile(r'id="answer">(.*?)</p>', re.S)
ERROR = re.compile(r'id="error">(.*?)</p>', re.S)
ATTESTED = re.compile(r'<input type="hidden" name="(attest\.[^"]+)" value="([^"]*)">')


class PageError(AssertionError):
    """A page lacked what a browser would use (its form, its answer): a failed check in tests."""


class Visitor:
    """One browser: its cookies, optionally an ``Authorization`` header (an OIDC proxy)."""

    def __init__(self, base: str, bearer: str = "") -> None:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        self.base = base
        # The console is on loopback: never through a proxy from the environment.
        self.http = httpx.Client(base_url=base, headers=headers, timeout=30, trust_env=False)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def token_from(self, path: str) -> str:
        return self.form_of(path)["csrf"]

    def form_of(self, path: str) -> dict[str, str]:
        """The hidden fields a browser sends with the page's form: its CSRF token, and on a
        gate page the values an approval attests (``attest.NAME``)."""
        page = self.get(path)
        found = CSRF.search(page.text)
        if not found:
            raise PageError(f"no form on {path}: {page.status_code} {page.text[:300]}")
        attested = {name: html.unescape(value) for name, value in ATTESTED.findall(page.text)}
        return {"csrf": found.group(1), **attested}

    def submit(self, page: str, action: str, **fields: str) -> httpx.Response:
        """Submit a form of ``page`` to ``action``, from the console's own origin."""
        hidden = self.form_of(page)
        return self.http.post(action, data={**hidden, **fields}, headers={"Origin": self.base})

    def close(self) -> None:
        self.http.close()


def answer_of(response: httpx.Response) -> str:
    """The answer box of a page after an action (the API server's words, HTML-unescaped)."""
    found = ANSWER.search(response.text)
    if not found:
        raise PageError(f"no answer on the page: {response.status_code} {response.text[:500]}")
    return html.unescape(found.group(1)).strip()


def error_of(response: httpx.Response) -> str:
    """The message of an error page (a refusal, a 404), HTML-unescaped; "" on other pages."""
    found = ERROR.search(response.text)
    return html.unescape(found.group(1)).strip() if found else ""
