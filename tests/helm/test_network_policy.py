"""The chart's NetworkPolicy is on by default and never guesses who may reach the webhook.

sign-decisions signs an identity for whoever sends it an AdmissionReview, so
the webhook port needs a fence: the sources the admin names
(networkPolicy.webhookFrom), or the API server's client certificate
(webhook.clientCA). With neither, the chart refuses to render, and says how
to choose (docs/install.md#the-networkpolicy). Rendering with the real helm
binary; one test runs ``helm install --dry-run=server`` on the local control
plane.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.helm.chart import CHART, ROOT, HelmError, helm, kind_of, lint, one, render
from tests.helm.installation import create_namespace
from tests.helm.manifests import ANY_SOURCE, OUTPUT
from tests.helm.variants import CLIENT_CA, CONTROL_PLANE, KUBE_DNS, VARIANTS, with_webhook_from

# The three ways out, as the refusal must name them.
WAYS_OUT = (
    "set networkPolicy.webhookFrom to those sources",
    "kubectl get endpoints kubernetes -n default",
    "set webhook.clientCA",
    "[{ipBlock: {cidr: 0.0.0.0/0}}] to accept any source knowingly",
)
WEBHOOK_PORT = [{"port": "webhook", "protocol": "TCP"}]
DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
PEERS = [
    {"ipBlock": {"cidr": "172.16.0.0/28", "except": ["172.16.0.9/32"]}},
    {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"component": "kube-apiserver"}},
    },
]


def _webhook_rules(policy: dict[str, Any]) -> list[dict[str, Any]]:
    rules = policy["spec"]["ingress"] or []
    return [rule for rule in rules if rule["ports"][0]["port"] == "webhook"]


def _assert_names_the_ways_out(message: str) -> None:
    for way in WAYS_OUT:
        assert way in message, f"{way!r} not in {message!r}"


def test_the_defaults_refuse_to_render_and_name_the_three_ways_out() -> None:
    with pytest.raises(HelmError) as refused:
        render()
    _assert_names_the_ways_out(str(refused.value))
    # helm lint runs templates in lint mode, where Helm reports `fail` as INFO
    # and passes on purpose; the message still shows.
    linted = lint()
    _assert_names_the_ways_out(linted.stdout + linted.stderr)


@pytest.mark.parametrize("client_ca", ["", CLIENT_CA], ids=["no-client-ca", "client-ca"])
def test_webhook_from_is_exactly_who_reaches_the_webhook(client_ca: str) -> None:
    values = {"networkPolicy": {"webhookFrom": PEERS}, "webhook": {"clientCA": client_ca}}
    (rule,) = _webhook_rules(one(render(values), "NetworkPolicy"))
    assert rule == {"from": PEERS, "ports": WEBHOOK_PORT}


def test_with_a_client_ca_and_no_sources_the_webhook_port_is_open_to_any() -> None:
    (rule,) = _webhook_rules(one(render({"webhook": {"clientCA": CLIENT_CA}}), "NetworkPolicy"))
    assert rule == {"ports": WEBHOOK_PORT}  # no `from`: the certificate is the fence


def test_without_the_policy_nothing_is_refused() -> None:
    objects = render({"networkPolicy": {"enabled": False}})
    assert kind_of(objects, "NetworkPolicy") == []
    assert kind_of(objects, "MutatingWebhookConfiguration"), "the webhook is still served"


def test_without_the_webhook_nothing_is_refused_and_its_port_stays_closed() -> None:
    policy = one(render({"webhook": {"enabled": False}}), "NetworkPolicy")
    assert _webhook_rules(policy) == []


def test_metrics_and_egress_are_as_before() -> None:
    policy = one(render(VARIANTS["pdb-and-network-policy"]), "NetworkPolicy")
    spec = policy["spec"]
    assert spec["ingress"] == [
        {"from": CONTROL_PLANE, "ports": WEBHOOK_PORT},
        {
            "from": VARIANTS["pdb-and-network-policy"]["networkPolicy"]["metricsFrom"],
            "ports": [{"port": "metrics", "protocol": "TCP"}],
        },
    ]
    assert spec["egress"] == [
        {
            "ports": [{"port": 6443, "protocol": "TCP"}],
            "to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}],
        },
        {
            "ports": [{"port": 443, "protocol": "TCP"}],
            "to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}],
        },
        {"ports": DNS_PORTS, "to": [KUBE_DNS]},
    ]


def test_notifications_reach_their_providers_by_default_and_can_be_shut_off() -> None:
    # Deliveries go to Slack, webhooks, PagerDuty, Teams and SMTP: without this
    # egress the default policy would fail every notification.
    policy = one(render(with_webhook_from({})), "NetworkPolicy")
    assert policy["spec"]["egress"][1:] == [
        {"ports": [{"port": port, "protocol": "TCP"} for port in (443, 465, 587)]},
        {"ports": DNS_PORTS},
    ]
    closed = one(
        render(with_webhook_from({"networkPolicy": {"providers": {"ports": []}}})), "NetworkPolicy"
    )
    assert len(closed["spec"]["egress"]) == 1, "only the API server"


def test_the_plain_manifests_admit_any_source_and_say_so() -> None:
    text = (OUTPUT / "appdeploy.yaml").read_text(encoding="utf-8")
    header = text.split("\n---\n", 1)[0]
    assert "ANY source (0.0.0.0/0)" in header
    assert "kustomize patch (docs/install.md#plain-manifests)" in header
    objects = [doc for doc in yaml.safe_load_all(text) if doc]
    (rule,) = _webhook_rules(one(objects, "NetworkPolicy"))
    assert rule == {"from": ANY_SOURCE, "ports": WEBHOOK_PORT}


def _documented_overlay() -> str:
    """The kustomize overlay docs/install.md#plain-manifests shows."""
    text = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    section = text.split("## Plain manifests", 1)[1].split("\n## ", 1)[0]
    blocks: list[str] = re.findall(r"```yaml\n(.*?)```", section, re.S)
    (overlay,) = [block for block in blocks if "Kustomization" in block]
    return overlay


def test_the_documented_overlay_narrows_the_plain_manifests(tmp_path: Path) -> None:
    shutil.copytree(OUTPUT, tmp_path / "manifests")
    overlay = tmp_path / "overlays" / "appdeploy"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(_documented_overlay(), encoding="utf-8")
    built = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    (rule,) = _webhook_rules(
        one([doc for doc in yaml.safe_load_all(built) if doc], "NetworkPolicy")
    )
    assert rule == {"from": [{"ipBlock": {"cidr": "10.0.0.0/28"}}], "ports": WEBHOOK_PORT}


@pytest.mark.integration
def test_helm_install_refuses_the_defaults(cluster: Any, api_client: Any) -> None:
    # --dry-run=server: the install runs against the API server but stores
    # nothing (a real one would point webhooks at a Service nobody serves).
    namespace = create_namespace(api_client, "helm-netpol")
    # The people roles have fixed names that other tests' installations own.
    install = ["install", "netpol", str(CHART), "--namespace", namespace, "--dry-run=server"]
    install += ["--skip-crds", "--set", "userRoles.create=false"]
    try:
        with pytest.raises(HelmError) as refused:
            helm(*install, kubeconfig=cluster.kubeconfig)
        assert "INSTALLATION FAILED" in str(refused.value)
        _assert_names_the_ways_out(str(refused.value))
        chosen = ["--set-json", f"networkPolicy.webhookFrom={json.dumps(CONTROL_PLANE)}"]
        output = helm(*install, *chosen, kubeconfig=cluster.kubeconfig)
        assert "kind: NetworkPolicy" in output
    finally:
        client.CoreV1Api(api_client).delete_namespace(namespace)
