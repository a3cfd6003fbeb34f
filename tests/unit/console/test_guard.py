"""CSRF tokens and the same-origin rule of the console's forms."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request

from appdeploy.console.security import CSRF_COOKIE, NEW_BROWSER, Guard


def request(headers: dict[str, str] | None = None, cookie: str = "") -> object:
    merged = dict(headers or {})
    if cookie:
        merged["Cookie"] = f"{CSRF_COOKIE}={cookie}"
    return make_mocked_request("POST", "/x", headers={"Host": "127.0.0.1:8765", **merged})


def test_the_token_of_a_browser_is_accepted_from_the_same_origin() -> None:
    guard = Guard(secret=b"k" * 32)
    first = make_mocked_request("GET", "/", headers={"Host": "127.0.0.1:8765"})
    token = guard.token(first)
    browser = first[NEW_BROWSER]
    same = request({"Origin": "http://127.0.0.1:8765", "Sec-Fetch-Site": "same-origin"}, browser)
    assert guard.refusal(same, token) == ""  # type: ignore[arg-type]


def test_a_missing_or_foreign_token_is_refused() -> None:
    guard = Guard(secret=b"k" * 32)
    first = make_mocked_request("GET", "/", headers={"Host": "127.0.0.1:8765"})
    token = guard.token(first)
    browser = first[NEW_BROWSER]
    assert "CSRF" in guard.refusal(request(cookie=browser), "")  # type: ignore[arg-type]
    assert "CSRF" in guard.refusal(request(), token)  # type: ignore[arg-type]
    other = Guard(secret=b"o" * 32)
    assert "CSRF" in other.refusal(request(cookie=browser), token)  # type: ignore[arg-type]


def test_another_site_is_refused_even_with_a_valid_token() -> None:
    guard = Guard(secret=b"k" * 32)
    first = make_mocked_request("GET", "/", headers={"Host": "127.0.0.1:8765"})
    token, browser = guard.token(first), first[NEW_BROWSER]
    cross = request({"Sec-Fetch-Site": "cross-site"}, browser)
    assert guard.refusal(cross, token) == "refused: a cross-site request (cross-site)"  # type: ignore[arg-type]
    foreign = request({"Origin": "https://evil.example"}, browser)
    assert "another origin" in guard.refusal(foreign, token)  # type: ignore[arg-type]


def test_behind_a_proxy_the_public_origin_is_the_one_accepted() -> None:
    guard = Guard(secret=b"k" * 32, origin="https://console.example.com/")
    first = make_mocked_request("GET", "/", headers={"Host": "127.0.0.2:8765"})
    token, browser = guard.token(first), first[NEW_BROWSER]
    good = request({"Origin": "https://console.example.com"}, browser)
    assert guard.refusal(good, token) == ""  # type: ignore[arg-type]
    direct = request({"Origin": "http://127.0.0.2:8765"}, browser)
    assert "another origin" in guard.refusal(direct, token)  # type: ignore[arg-type]
