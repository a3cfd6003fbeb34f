"""``python -m demo.screenshots``: the README's pictures of the console, taken for real.

It stages four releases on the local control plane (one waiting at QA with
one of two approvals in, one released, one failed, one building), with the
operator signing every decision, opens ``appdeploy console`` as bob (group
qa) in headless Chromium and saves the releases list, the release page,
the gate panel and one app's insights as PNGs (docs/images/console-*.png). The window is the
stories' fixed size, so a page looks the same from one run to the next (its
clock times aside). Runs on a cluster of its own (``--cluster``, started
and stopped unless it was already running) or any cluster
(``--kubeconfig``); the namespace, operator and consoles are removed after.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from selenium import webdriver
from tests.cluster.clients import admin_client
from tests.cluster.crd import install_crd
from tests.integration.browser import WIDTH, open_browser, wait_for_element, wait_for_text
from tests.integration.console_world import ConsoleWorld, console_world
from tests.integration.releases import gate_step, release_spec, run_step

from appdeploy.api.channel_crd import build_channel_crd
from appdeploy.api.crd import build_crd
from demo.cluster import running_cluster, start_cluster, stop_cluster

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
QA = "qa-signoff"
VIEWER = ("bob@example.com", ["qa"])
SHORTEST = 300
NAMESPACE = "mobile-apps"
"""Not the demo's mobile-releases, so the pictures can be taken on the demo's cluster too."""


def mobile_release(app: str, version: str, **ios: Any) -> dict[str, Any]:
    """iOS and Android builds, QA (two people), compliance (someone else), then both stores;
    ``ios``: how the iOS build behaves instead of succeeding with its build number."""
    return release_spec(
        run_step("build-ios", **(ios or {"outputs": {"buildNumber": "412"}})),
        run_step("build-android", outputs={"versionCode": "4120"}),
        gate_step(
            QA,
            ["build-ios", "build-android"],
            required=2,
            description="QA verifies iOS build $(steps.build-ios.outputs.buildNumber) and "
            "Android versionCode $(steps.build-android.outputs.versionCode) on real devices",
        ),
        gate_step(
            "compliance",
            [QA],
            approvers={"groups": ["compliance"]},
            distinctFrom=[QA],
            description="Check the privacy labels and export compliance of $(app) $(version)",
        ),
        run_step("publish-ios", ["compliance"]),
        run_step("publish-android", ["compliance"]),
        app=app,
        version=version,
    )


def stage(world: ConsoleWorld) -> str:
    """The four releases, each in the state its picture needs; the waiting one's name."""
    releases = world.releases
    releases.apply("wallet-2-3-1", mobile_release("wallet", "2.3.1"))
    releases.apply("maps-1-8-0", mobile_release("maps", "1.8.0", exit_code=1,
                   message="xcodebuild: the distribution certificate expired"))  # fmt: skip
    releases.apply("chat-5-0-0", mobile_release("chat", "5.0.0", seconds=3600, outputs={}))
    releases.apply("shop-4-12-0", mobile_release("shop", "4.12.0"))
    for name in ("wallet-2-3-1", "shop-4-12-0"):
        releases.wait_for(name, steps={QA: "Waiting"})
    for user in ("alice@example.com", "carol@example.com"):
        releases.approve("wallet-2-3-1", QA, as_user=user, comment="tested on real devices")
    releases.wait_for("wallet-2-3-1", steps={"compliance": "Waiting"})
    releases.approve("wallet-2-3-1", "compliance", as_user="dave@example.com",
                     groups=["compliance"], comment="labels match the binary")  # fmt: skip
    releases.approve("shop-4-12-0", QA, as_user="alice@example.com", comment="tested on iPhone 15")
    releases.wait_for("wallet-2-3-1", phase="Succeeded")
    releases.wait_for("maps-1-8-0", phase="Failed")
    releases.wait_for("chat-5-0-0", steps={"build-ios": "Running"})
    return "shop-4-12-0"


def shoot(driver: webdriver.Chrome, path: Path) -> None:
    """The whole page, at the fixed width, as a PNG."""
    driver.set_window_size(WIDTH, SHORTEST)  # so scrollHeight is the content's, not the window's
    content, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];"
    )
    driver.set_window_size(WIDTH, int(content) + int(chrome))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    print(f"wrote {path}")


def take(world: ConsoleWorld, driver: webdriver.Chrome, name: str, out: Path) -> None:
    console = world.console(*VIEWER)
    release = f"{console.url}/releases/{world.namespace}/{name}"
    driver.get(f"{console.url}/releases?namespace={world.namespace}")
    wait_for_element(driver, "#waiting-on-me .gates-for-me")
    shoot(driver, out / "console-releases.png")
    driver.get(release)
    wait_for_text(driver, "#step-build-ios", "buildNumber")
    shoot(driver, out / "console-release.png")
    driver.get(f"{release}/gates/{QA}")
    wait_for_text(driver, "#verdict", "You may decide")
    wait_for_element(driver, "#comment").send_keys("tested on Pixel 8")
    shoot(driver, out / "console-gate.png")
    driver.get(f"{console.url}/insights?namespace={world.namespace}&app=wallet")
    wait_for_element(driver, "section.insights svg.chart")
    shoot(driver, out / "console-insights.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.screenshots", description=__doc__)
    parser.add_argument("--output", type=Path, default=IMAGES, help="default: docs/images")
    parser.add_argument("--kubeconfig", type=Path, help="an admin kubeconfig of a running cluster")
    parser.add_argument(
        "--cluster", default="screenshots", help="else: this local cluster (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    handle = None
    kubeconfig = args.kubeconfig
    if kubeconfig is None:
        handle = running_cluster(args.cluster) or start_cluster(args.cluster)
        kubeconfig = handle.kubeconfig
    logs = Path(tempfile.mkdtemp(prefix="console-screenshots-"))
    api = admin_client(kubeconfig)
    try:
        install_crd(api, build_crd())
        install_crd(api, build_channel_crd())
        world_of = console_world(kubeconfig, api, logs, namespace=NAMESPACE)
        with world_of as world, open_browser() as d:
            take(world, d, stage(world), args.output)
    except Exception:
        print(f"screenshots failed; logs in {logs}", file=sys.stderr)
        raise
    finally:
        api.close()
        if handle is not None and handle.started:
            stop_cluster(handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
