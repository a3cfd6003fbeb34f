"""The console acts as the person: in client mode with their own token, in local mode with
what RBAC lets them do. Against the real control plane, decisions signed by the real webhook."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from tests.cluster.console import ConsoleProcess
from tests.integration.admission_setup import Admission, admission, releases
from tests.integration.console_http import Visitor, answer_of
from tests.integration.releases import Releases, gate_step, release_spec, run_step

__all__ = ["admission", "releases"]  # fixtures used by the stories below


def bot_release(namespace: str) -> dict[str, Any]:
    bot = f"system:serviceaccount:{namespace}:qa-bot"
    return release_spec(
        run_step("build", outputs={"buildNumber": "77"}),
        gate_step("qa-signoff", ["build"], approvers={"users": [bot]},
                  description="QA verifies build $(steps.build.outputs.buildNumber)"),
        run_step("ship", ["qa-signoff"]),
    )  # fmt: skip


@pytest.fixture
def bot_token(admission: Admission) -> str:
    """A TokenRequest token of ServiceAccount qa-bot, which may read and annotate releases."""
    core = client.CoreV1Api(admission.api_client)
    namespace = admission.namespace
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "qa-bot"}})
    client.RbacAuthorizationV1Api(admission.api_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "qa-bot"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                        "name": "release-approver"},
            "subjects": [{"kind": "ServiceAccount", "name": "qa-bot", "namespace": namespace}],
        },
    )  # fmt: skip
    answer = core.create_namespaced_service_account_token(
        "qa-bot", namespace, {"spec": {"expirationSeconds": 3600}}
    )
    return str(answer.status.token)


@pytest.fixture
def client_console(cluster: Any, tmp_path: Path) -> Iterator[ConsoleProcess]:
    """The console in client mode: the API server and its CA, and no credentials."""
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(cluster.kubeconfig), client_configuration=configuration)
    console = ConsoleProcess(
        tmp_path / "console.log",
        ["--auth", "client", "--api-server", configuration.host,
         "--api-ca", configuration.ssl_ca_cert],
    )  # fmt: skip
    with console:
        yield console


def test_client_mode_acts_with_the_visitors_own_token_and_nothing_else(
    releases: Releases, bot_token: str, client_console: ConsoleProcess
) -> None:
    namespace = releases.namespace
    releases.apply("shop", bot_release(namespace))
    releases.wait_for("shop", phase="AwaitingApproval")
    bot = f"system:serviceaccount:{namespace}:qa-bot"

    # Given nobody signed in, the console has nothing to act with: it asks for a token.
    anonymous = Visitor(client_console.url)
    first = anonymous.get(f"/releases?namespace={namespace}", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, "/login")
    refused = anonymous.submit("/login", "/login", token="not-a-token")
    assert refused.status_code == 401 and "The API server refused it" in refused.text

    # When the bot signs in with its token, the console is the bot, and only the bot.
    signed_in = anonymous.submit("/login", "/login", token=bot_token)
    assert (signed_in.status_code, signed_in.headers.get("location")) == (303, "/releases")
    listed = anonymous.get(f"/releases?namespace={namespace}")
    assert f'signed in as <strong id="whoami">{bot}</strong>' in listed.text
    assert f'href="/releases/{namespace}/shop/gates/qa-signoff"' in listed.text, "waiting on me"
    everywhere = anonymous.get("/releases")
    assert "cannot list resource" in everywhere.text, "RBAC's answer, not the console's rights"

    # Then its approval is signed by the webhook as the bot.
    page = f"/releases/{namespace}/shop/gates/qa-signoff"
    done = anonymous.submit(page, f"{page}/approve", comment="automated checks green")
    assert answer_of(done).startswith(f"Approved qa-signoff as {bot}")
    releases.wait_for("shop", phase="Succeeded")
    [approval] = releases.status("shop").step("qa-signoff").approvals
    assert (approval.user, approval.verified) == (bot, True)

    # Insights are read as the bot too: the release it can see, and its gate's wait.
    learned = anonymous.get(f"/insights?namespace={namespace}&last=5")
    assert learned.status_code == 200 and 'id="app-shop"' in learned.text
    assert "Median wait per gate and approver group, shop" in learned.text

    # And an OIDC proxy's Authorization header works the same, with no cookie at all.
    proxied = Visitor(client_console.url, bearer=bot_token)
    assert f"{bot}</strong>" in proxied.get(f"/releases/{namespace}/shop").text

    # The token appears in no page and in no log line.
    for text in (listed.text, done.text, client_console.log_text()):
        assert bot_token not in text


def test_retry_and_cancel_need_rbac_and_a_forced_post_changes_nothing(
    cluster: Any, releases: Releases, tmp_path: Path
) -> None:
    namespace = releases.namespace
    rbac = client.RbacAuthorizationV1Api(releases.api_client)
    rbac.create_namespaced_role(namespace, {
        "metadata": {"name": "release-viewer"},
        "rules": [{"apiGroups": ["appdeploy.dev"], "resources": ["appdeployments"],
                   "verbs": ["get", "list", "watch"]}],
    })  # fmt: skip
    rbac.create_namespaced_role_binding(namespace, {
        "metadata": {"name": "release-viewers"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": "release-viewer"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                      "name": "viewers"}],
    })  # fmt: skip
    releases.apply("slow", release_spec(run_step("build", seconds=600)))
    releases.wait_for("slow", steps={"build": "Running"})
    before = releases.get("slow")

    with ConsoleProcess.as_person(cluster.kubeconfig, tmp_path / "c.log", "vera",
                                  ["viewers"]) as console:  # fmt: skip
        visitor = Visitor(console.url)
        page = visitor.get(f"/releases/{namespace}/slow")
        assert 'id="cancel"' not in page.text
        assert "Retry and cancel are not available to you: RBAC does not let you patch" in page.text
        forced = visitor.submit(f"/releases/{namespace}/slow", f"/releases/{namespace}/slow/cancel",
                                reason="just because")  # fmt: skip
        assert forced.status_code == 403
        assert 'User "vera" cannot patch resource "appdeployments"' in answer_of(forced)

    after = releases.get("slow")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_a_failed_step_is_retried_from_its_row_as_the_person(
    cluster: Any, releases: Releases, tmp_path: Path
) -> None:
    namespace = releases.namespace
    releases.apply(
        "flaky", release_spec(run_step("build", exit_code=1, fail_attempts=1, retries={"limit": 0}))
    )
    releases.wait_for("flaky", phase="Failed")
    with ConsoleProcess.as_person(cluster.kubeconfig, tmp_path / "c.log", "alice",
                                  ["qa"]) as console:  # fmt: skip
        visitor = Visitor(console.url)
        page = f"/releases/{namespace}/flaky"
        assert 'class="retry-step"' in visitor.get(page).text
        answer = visitor.submit(page, f"{page}/retry", step="build")
        assert answer.status_code == 200, answer_of(answer)
    releases.wait_for("flaky", phase="Succeeded")
    [retry] = [d for d in releases.status("flaky").decisions if d.kind == "retry"]
    assert (retry.user, retry.target, retry.verified) == ("alice", "build", True)
