"""People and scripts wait on gates with the real kubectl: `kubectl wait --for=condition=…`.

The story operator trusts unsigned approvals; who may decide is still checked
(group qa), and the approvals go through the API server as those people.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from kubernetes.client.exceptions import ApiException

from appdeploy.api.status import AppDeploymentStatus, Condition
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.integration.releases import Releases, gate_step, release_spec, run_step

QA_GATE = "gates.appdeploy.dev/qa-signoff"
WAIT_TIMEOUT = 60


def qa_release(build_seconds: float = 0) -> dict[str, object]:
    return release_spec(
        run_step("build", seconds=build_seconds),
        gate_step("qa-signoff", ["build"], required=2),
        run_step("ship", ["qa-signoff"]),
    )


def condition(status: AppDeploymentStatus, kind: str) -> Condition | None:
    return next((c for c in status.conditions if c.type == kind), None)


def start_wait(
    kubectl: Callable[..., list[str]], releases: Releases, name: str, wanted: str
) -> subprocess.Popen[str]:
    """`kubectl wait --for=condition=WANTED ad/NAME`, running in the background."""
    argv = kubectl(
        "-n",
        releases.namespace,
        "wait",
        f"--for=condition={wanted}",
        f"ad/{name}",
        f"--timeout={WAIT_TIMEOUT}s",
    )
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(wait: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    """The wait's outcome, once kubectl exits (its own --timeout bounds it)."""
    stdout, stderr = wait.communicate(timeout=WAIT_TIMEOUT + 30)
    return subprocess.CompletedProcess(wait.args, wait.returncode, stdout, stderr)


def test_kubectl_waits_until_the_release_needs_people_then_until_the_gate_passes(
    releases: Releases, kubectl: Callable[..., list[str]]
) -> None:
    # Given a release whose QA gate opens after a three-second build
    releases.apply("shop", qa_release(build_seconds=3))
    before = releases.status("shop")
    awaiting = condition(before, "AwaitingApproval")
    assert awaiting is None or awaiting.status != "True", "the wait starts before the gate opens"
    needs_people = start_wait(kubectl, releases, "shop", "AwaitingApproval")

    # Then kubectl returns when the gate opens, and the conditions say which gate and how far
    result = finished(needs_people)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "appdeployment.appdeploy.dev/shop condition met"
    status = releases.status("shop")
    assert (status.step("build").phase, status.step("qa-signoff").phase) == (
        "Succeeded",
        "Waiting",
    )
    awaiting = condition(status, "AwaitingApproval")
    assert awaiting is not None and awaiting.reason == "QaSignoff"
    assert awaiting.message.startswith("qa-signoff: 0 of 2 approvals (group qa), deadline ")
    gate = condition(status, QA_GATE)
    assert gate is not None and (gate.status, gate.reason) == ("Unknown", "Waiting")
    listed = subprocess.run(
        kubectl("-n", releases.namespace, "get", "ad", "shop"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert listed[0].split()[3:6] == ["PHASE", "WAITING", "ON"]
    assert listed[1].split()[3:5] == ["AwaitingApproval", "qa-signoff"]

    # When one of two approvals lands, the gate is still undecided and kubectl still waits
    gate_passed = start_wait(kubectl, releases, "shop", QA_GATE)
    releases.approve("shop", "qa-signoff", as_user="alice")
    gate = condition(releases.status("shop"), QA_GATE)
    assert gate is not None and gate.status == "Unknown"
    assert gate.message.endswith("; approved by alice")
    assert gate_passed.poll() is None, "one approval of two does not pass the gate"

    # Then the second approval passes it, and kubectl returns
    releases.approve("shop", "qa-signoff", as_user="bob")
    result = finished(gate_passed)
    assert result.returncode == 0, result.stderr
    gate = condition(releases.status("shop"), QA_GATE)
    assert gate is not None
    assert (gate.status, gate.reason, gate.message) == (
        "True",
        "Approved",
        "approved by alice, bob",
    )
    done = releases.wait_for("shop", phase="Succeeded")
    awaiting = condition(done, "AwaitingApproval")
    assert awaiting is not None and (awaiting.status, awaiting.reason) == ("False", "Succeeded")


def test_kubectl_waits_for_a_gate_to_be_false_after_a_rejection(
    releases: Releases, kubectl: Callable[..., list[str]]
) -> None:
    releases.apply("shop", qa_release())
    releases.wait_for("shop", phase="AwaitingApproval")
    rejected = start_wait(kubectl, releases, "shop", f"{QA_GATE}=False")
    releases.reject("shop", "qa-signoff", as_user="carol", reason="crashes on launch")
    result = finished(rejected)
    assert result.returncode == 0, result.stderr
    status = releases.wait_for("shop", phase="Failed")
    gate = condition(status, QA_GATE)
    assert gate is not None
    assert (gate.status, gate.reason, gate.message) == (
        "False",
        "Rejected",
        "rejected by carol: crashes on launch",
    )


def test_the_api_server_accepts_the_condition_of_the_longest_gate_name(
    releases: Releases, kubectl: Callable[..., list[str]]
) -> None:
    longest = "g" * 63  # a DNS label: the longest step name the spec allows
    releases.apply("shop", release_spec(gate_step(longest)))
    # The status carrying gates.appdeploy.dev/ggg…g was stored: the CRD's metav1
    # validation of condition types let it through.
    status = releases.wait_for("shop", phase="AwaitingApproval")
    gate = condition(status, f"gates.appdeploy.dev/{longest}")
    assert gate is not None and gate.status == "Unknown"
    releases.approve("shop", longest, as_user="alice")
    result = finished(start_wait(kubectl, releases, "shop", f"gates.appdeploy.dev/{longest}"))
    assert result.returncode == 0, result.stderr

    # And it does validate them: a type metav1.Condition forbids is refused at the door.
    body = releases.get("shop")
    body["status"]["conditions"][-1]["type"] = "gates.appdeploy.dev/qa signoff"
    with pytest.raises(ApiException) as refused:
        releases.custom.replace_namespaced_custom_object_status(
            GROUP, VERSION, releases.namespace, PLURAL, "shop", body
        )
    assert refused.value.status == 422
    assert "status.conditions[4].type" in str(refused.value.body)
