"""What keeps the console's pages and actions safe in a browser (docs/console.md#security-model).

- Every response carries a Content-Security-Policy without inline script or
  style, so text a release author wrote cannot run even if escaping failed.
- Every POST must carry a CSRF token (an HMAC of a per-browser cookie under a
  per-console secret) and come from the console's own origin (Origin and
  Sec-Fetch-Site), so another site cannot make a signed-in person approve.
- No token in URLs: client-mode tokens travel in a header or an HttpOnly
  cookie, and pages send no Referer elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CSRF_COOKIE = "appdeploy_csrf"
CSRF_FIELD = "csrf"
NEW_BROWSER: web.RequestKey[str] = web.RequestKey("new_browser_id", str)
"""Set when this request gave the browser its CSRF cookie value."""


class Guard:
    """CSRF tokens and the same-origin rule, under one secret per console process."""

    def __init__(self, secret: bytes | None = None, origin: str = "", secure: bool = False) -> None:
        self.secret = secret or secrets.token_bytes(32)
        self.origin = origin.rstrip("/")
        """The origin people reach the console at; empty: the request's own host."""
        self.secure = secure

    def browser_id(self, request: web.Request) -> str:
        """The per-browser value the CSRF token is bound to (set on first visit)."""
        return request.cookies.get(CSRF_COOKIE) or request.get(NEW_BROWSER, "")

    def token(self, request: web.Request) -> str:
        """The CSRF token forms of this page carry."""
        browser = self.browser_id(request)
        if not browser:
            browser = secrets.token_urlsafe(24)
            request[NEW_BROWSER] = browser
        return hmac.new(self.secret, browser.encode(), hashlib.sha256).hexdigest()

    def refusal(self, request: web.Request, submitted: str) -> str:
        """Why a POST is refused as cross-site ("" when it is the console's own form)."""
        site = request.headers.get("Sec-Fetch-Site", "")
        if site and site not in ("same-origin", "none"):
            return f"refused: a cross-site request ({site})"
        origin = request.headers.get("Origin", "")
        if origin and origin != self.expected_origin(request):
            return "refused: the request comes from another origin"
        browser = request.cookies.get(CSRF_COOKIE, "")
        expected = hmac.new(self.secret, browser.encode(), hashlib.sha256).hexdigest()
        if not browser or not hmac.compare_digest(expected, submitted):
            return "refused: the form is stale or forged (CSRF check); reload the page"
        return ""

    def expected_origin(self, request: web.Request) -> str:
        return self.origin or f"{request.scheme}://{request.host}"

    async def on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        """Security headers on every answer (pages, errors, streams); the CSRF cookie on a
        browser's first visit."""
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        browser = request.get(NEW_BROWSER)
        if browser:
            # Cookies are turned into headers before this hook runs: add the header itself.
            secure = "; Secure" if self.secure else ""
            response.headers.add(
                "Set-Cookie", f"{CSRF_COOKIE}={browser}; HttpOnly; Path=/; SameSite=Strict{secure}"
            )
