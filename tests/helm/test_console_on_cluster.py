"""The in-cluster console may do nothing as itself, on the real API server.

The chart is rendered with the console on, and all of its RBAC (the
operator's roles and bindings, the console's ServiceAccount) is applied for
real in a fresh namespace. A TokenRequest token of the console's
ServiceAccount is what its pod would hold if it mounted one: with it,
``kubectl auth can-i`` says no to everything the console shows or does and
to impersonation, and its rules are exactly those of a ServiceAccount nobody
bound. The pod's CA mount (kube-root-ca.crt) verifies the API server, and
the console's objects pass a server-side dry run in a namespace that
enforces the restricted Pod Security level; the chart's NOTES say how to
reach it.
"""

from __future__ import annotations

import copy
import json
import socket
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.cluster.clients import admin_client
from tests.cluster.wait import wait_for
from tests.helm import install
from tests.helm.chart import CHART, helm, one, render
from tests.helm.installation import RBAC_KINDS, USER_ROLES, create_namespace
from tests.helm.variants import CONSOLE, CONSOLE_INGRESS, CONSOLE_URL

pytestmark = pytest.mark.integration

# What the console reads or does for a person, and what would let it act as
# someone else: the console's own identity gets none of it.
REFUSED = [
    ("get", "appdeployments.appdeploy.dev", ""),
    ("list", "appdeployments.appdeploy.dev", ""),
    ("watch", "appdeployments.appdeploy.dev", ""),
    ("patch", "appdeployments.appdeploy.dev", ""),
    ("update", "appdeployments.appdeploy.dev", ""),
    ("patch", "appdeployments.appdeploy.dev", "status"),
    ("list", "notificationchannels.appdeploy.dev", ""),
    ("list", "events", ""),
    ("get", "pods", ""),
    ("get", "pods", "log"),
    ("list", "jobs.batch", ""),
    ("get", "secrets", ""),
    ("list", "secrets", ""),
    ("create", "serviceaccounts", "token"),
    ("impersonate", "users", ""),
    ("impersonate", "groups", ""),
    ("impersonate", "serviceaccounts", ""),
    ("impersonate", "uids.authentication.k8s.io", ""),
    ("impersonate", "userextras.authentication.k8s.io", ""),
    ("*", "*", ""),
]


@dataclass
class ConsoleInstall:
    """The chart's RBAC applied with the console on, and kubeconfigs for two ServiceAccounts."""

    namespace: str
    account: str
    objects: list[dict[str, Any]]
    console: Path  # the console's ServiceAccount
    unbound: Path  # the namespace's default ServiceAccount, which nothing binds
    operator: Path

    def kubectl(self, kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", f"--kubeconfig={kubeconfig}", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    def can_i(self, kubeconfig: Path, *args: str) -> bool:
        return self.kubectl(kubeconfig, "auth", "can-i", *args).stdout.strip() == "yes"


def _account(objects: list[dict[str, Any]], component: str | None) -> str:
    accounts: list[str] = [
        obj["metadata"]["name"]
        for obj in objects
        if obj["kind"] == "ServiceAccount"
        and obj["metadata"]["labels"].get("app.kubernetes.io/component") == component
    ]
    (account,) = accounts
    return account


@pytest.fixture(scope="module")
def console_install(
    cluster: Any, api_client: Any, chart_crd: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleInstall]:
    directory = tmp_path_factory.mktemp("console")
    namespace = create_namespace(api_client, "helm-console")
    objects = render(CONSOLE, release=f"con{uuid.uuid4().hex[:6]}", namespace=namespace)
    applied = [
        obj
        for obj in objects
        if obj["kind"] in RBAC_KINDS and obj["metadata"]["name"] not in USER_ROLES
    ]
    install.apply(cluster.kubeconfig, applied)
    kubeconfigs: dict[str, Path] = {
        name: install.service_account_kubeconfig(
            api_client, cluster.kubeconfig, namespace, account, directory / f"{name}.kubeconfig"
        )
        for name, account in (
            ("console", _account(objects, "console")),
            ("unbound", "default"),
            ("operator", _account(objects, None)),
        )
    }
    setup = ConsoleInstall(namespace, _account(objects, "console"), objects, **kubeconfigs)
    # The operator's token, from the same render, gets what the chart grants
    # it: once it may list releases, RBAC has taken the applied objects in,
    # and a "no" for the console is an answer, not a binding still on its way.
    wait_for(
        lambda: setup.can_i(setup.operator, "list", "appdeployments.appdeploy.dev", "-A"),
        30,
        "RBAC to grant the chart's operator account its rights",
    )
    yield setup
    install.delete(
        cluster.kubeconfig, [obj for obj in applied if "namespace" not in obj["metadata"]]
    )
    client.CoreV1Api(api_client).delete_namespace(namespace)


def test_the_console_account_is_authenticated_and_may_do_nothing(
    console_install: ConsoleInstall,
) -> None:
    setup = console_install
    # The token is valid: a "no" below is RBAC's answer, not a failed login.
    whoami = setup.kubectl(setup.console, "auth", "whoami", "-o", "json")
    assert whoami.returncode == 0, whoami.stderr
    username = json.loads(whoami.stdout)["status"]["userInfo"]["username"]
    assert username == f"system:serviceaccount:{setup.namespace}:{setup.account}"
    for verb, resource, subresource in REFUSED:
        for scope in (["-n", setup.namespace], ["--all-namespaces"]):
            argv = ["auth", "can-i", verb, resource, f"--subresource={subresource}", *scope]
            answer = setup.kubectl(setup.console, *argv)
            assert answer.stdout.strip() == "no", (argv, answer.stderr)


def test_the_console_account_has_the_rules_of_an_account_nobody_bound(
    console_install: ConsoleInstall,
) -> None:
    setup = console_install
    listed = [
        setup.kubectl(kubeconfig, "auth", "can-i", "--list", "-n", setup.namespace)
        for kubeconfig in (setup.console, setup.unbound)
    ]
    for answer in listed:
        assert answer.returncode == 0, answer.stderr
    console, unbound = (answer.stdout for answer in listed)
    assert console == unbound
    assert "appdeployments" not in console and "impersonate" not in console


def test_a_request_with_the_console_token_is_refused(console_install: ConsoleInstall) -> None:
    api = admin_client(console_install.console)
    try:
        with pytest.raises(ApiException) as refused:
            client.CustomObjectsApi(api).list_namespaced_custom_object(
                "appdeploy.dev", "v1alpha1", console_install.namespace, "appdeployments"
            )
    finally:
        api.close()
    assert refused.value.status == 403


def _server(kubeconfig: Path) -> str:
    server: str = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    return server


def test_the_mounted_ca_verifies_the_api_server(
    console_install: ConsoleInstall, api_client: Any
) -> None:
    # What the pod mounts at .../serviceaccount/ca.crt: kube-root-ca.crt's ca.crt,
    # which the controller manager publishes in every namespace.
    core = client.CoreV1Api(api_client)
    config_map = wait_for(
        lambda: core.read_namespaced_config_map("kube-root-ca.crt", console_install.namespace),
        30,
        "kube-root-ca.crt in the console's namespace",
        ignore=(ApiException,),
    )
    ca = (config_map.data or {})["ca.crt"]
    server = urlsplit(_server(console_install.console))
    assert _handshake(
        server.hostname or "", server.port or 443, ssl.create_default_context(cadata=ca)
    )
    # Not a context that trusts anything: the system's roots alone refuse it.
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(server.hostname or "", server.port or 443, ssl.create_default_context())


def _handshake(host: str, port: int, context: ssl.SSLContext) -> str:
    """The TLS version agreed with host:port, after verifying its chain and name."""
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        return tls.version() or ""


@pytest.fixture(scope="module")
def restricted(api_client: Any) -> Iterator[str]:
    """A namespace that enforces the restricted Pod Security level."""
    name = create_namespace(
        api_client, "helm-console-dry", {"pod-security.kubernetes.io/enforce": "restricted"}
    )
    yield name
    client.CoreV1Api(api_client).delete_namespace(name)


def test_the_api_server_accepts_the_console_objects(
    cluster: Any, chart_crd: None, restricted: str
) -> None:
    objects = render(CONSOLE_INGRESS, namespace=restricted, release="dryconsole")
    console = [obj for obj in objects if obj["metadata"]["name"].endswith("-console")]
    assert {obj["kind"] for obj in console} == {
        "ServiceAccount",
        "Deployment",
        "Service",
        "Ingress",
        "NetworkPolicy",
    }
    output = install.apply(cluster.kubeconfig, console, dry_run=True)
    assert output.count("(server dry run)") == len(console)


def test_the_console_pod_meets_the_restricted_pod_security_level(
    cluster: Any, restricted: str
) -> None:
    objects = render(CONSOLE, namespace=restricted)
    install.apply(cluster.kubeconfig, [one(objects, "ServiceAccount", "appdeploy-console")])
    template = one(objects, "Deployment", "appdeploy-console")["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**template["metadata"], "name": "console", "namespace": restricted},
        "spec": template["spec"],
    }
    install.apply(cluster.kubeconfig, [pod], dry_run=True)
    # The same pod allowed to escalate is refused: the namespace really enforces.
    loose = copy.deepcopy(pod)
    loose["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    with pytest.raises(install.ApplyError, match="violates PodSecurity"):
        install.apply(cluster.kubeconfig, [loose], dry_run=True)


def _notes(cluster: Any, values: dict[str, Any]) -> str:
    """What ``helm install --dry-run=client`` prints as NOTES (it only checks the cluster is up)."""
    args = ["install", "notes", str(CHART), "--namespace", "appdeploy-system"]
    args += ["--dry-run=client", "--skip-crds"]
    for key, value in values.items():
        args += ["--set-json", f"{key}={json.dumps(value)}"]
    return helm(*args, kubeconfig=cluster.kubeconfig).split("NOTES:", 1)[1]


def test_the_notes_say_how_to_reach_it(cluster: Any) -> None:
    chosen = {"networkPolicy": CONSOLE["networkPolicy"]}
    notes = _notes(cluster, {**chosen, "console": CONSOLE["console"]})
    assert "port-forward service/notes-appdeploy-console 8765:80" in notes
    assert "admits nobody on the network" in notes
    assert "--pass-authorization-header" in notes and "kubectl create token" in notes
    behind_ingress = _notes(cluster, {**chosen, "console": CONSOLE_INGRESS["console"]})
    assert f"Open {CONSOLE_URL} (Ingress notes-appdeploy-console)" in behind_ingress
    assert "admits nobody" not in behind_ingress
    assert "console" not in _notes(cluster, chosen).lower()
