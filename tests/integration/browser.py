"""A real headless Chromium for the console's stories and screenshots (Debian's, never a download).

Selenium drives the system's ``/usr/bin/chromium`` through ``/usr/bin/chromedriver``
(``apt-get install chromium chromium-driver``; docs/MACHINE-FACTS: Selenium 4.51
pairs with them), so Selenium Manager never fetches a browser or a driver. The
window has a fixed size so screenshots are the same from one run to the next,
and the browser's console log is kept so a story can see CSP violations.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1280, 900
PAGE_TIMEOUT = 30.0


def chromium_missing() -> str:
    """Why the browser stories cannot run here ("" when they can)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if missing:
        return f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    return ""


@contextmanager
def open_browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium, WIDTH x HEIGHT, logging the page's console; quit afterwards."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        # Nothing may leave the machine: no proxy, no background fetches.
        "--no-proxy-server",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


def console_log(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """The page console's entries since the last call (reading them drains them)."""
    return list(driver.get_log("browser"))  # type: ignore[no-untyped-call]


def csp_violations(entries: list[dict[str, Any]]) -> list[str]:
    """The messages of entries that report a Content-Security-Policy violation."""
    return [
        str(entry.get("message"))
        for entry in entries
        if "Content Security Policy" in str(entry.get("message"))
    ]


def _waiting(driver: webdriver.Chrome, timeout: float) -> WebDriverWait[webdriver.Chrome]:
    # A live update swaps fragments in place: an element read a moment ago may be gone.
    return WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    )


def wait_for_element(
    driver: webdriver.Chrome, css: str, timeout: float = PAGE_TIMEOUT
) -> WebElement:
    """The first element matching ``css`` once it is in the DOM."""
    found: WebElement = _waiting(driver, timeout).until(
        lambda d: d.find_element(By.CSS_SELECTOR, css), f"an element {css}"
    )
    return found


def read(driver: webdriver.Chrome, css: str, what: str = "innerText") -> Any:
    """A property (``innerText``, ``disabled``, ...) or else an attribute of the element
    matching ``css``, read in one step so a live swap cannot come between; None if absent."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "if (!e) return null;"
        "return arguments[1] in e ? e[arguments[1]] : e.getAttribute(arguments[1]);",
        css,
        what,
    )


def click(driver: webdriver.Chrome, css: str, timeout: float = PAGE_TIMEOUT) -> None:
    """Click the element matching ``css`` as a person would (again if a swap replaced it)."""

    def clicked(d: webdriver.Chrome) -> bool:
        d.find_element(By.CSS_SELECTOR, css).click()
        return True

    _waiting(driver, timeout).until(clicked, f"a click on {css}")


def wait_for_text(
    driver: webdriver.Chrome, css: str, text: str, timeout: float = PAGE_TIMEOUT
) -> str:
    """The text of the element matching ``css`` once it contains ``text``."""

    def shows(d: webdriver.Chrome) -> str | bool:
        shown = read(d, css)
        return shown if shown is not None and text in shown else False

    return str(
        _waiting(driver, timeout).until(shows, f"{css} to show {text!r} within {timeout:g}s")
    )
