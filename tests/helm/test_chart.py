"""The chart renders what a cluster admin expects, for the defaults and every option.

Pure rendering with the real helm binary; nothing here needs a cluster.
"""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.cli.main import build_parser
from tests.helm.chart import HARDENED_CONTAINER, kind_of, kinds, lint, one, render
from tests.helm.variants import CLIENT_CA, VARIANTS, with_webhook_from

NAMES = list(VARIANTS)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: render(values) for name, values in VARIANTS.items()}


@pytest.mark.parametrize("variant", NAMES)
def test_helm_lint_passes(variant: str) -> None:
    result = lint(VARIANTS[variant])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"watchNamespaces": ["team-*"]}, "watchNamespaces/0"),
        ({"webhook": {"certManagr": {}}}, "certManagr"),
        ({"operator": {"jobTTL": "1 day"}}, "jobTTL"),
        ({"operator": {"workers": 0}}, "workers"),
        ({"metrics": {"port": 9443}}, "port"),
        ({"webhook": {"clientCA": "my-ca"}}, "clientCA"),
        ({"networkPolicy": {"webhookFrom": [{"cidr": "10.0.0.0/8"}]}}, "webhookFrom/0"),
        ({"notifications": {"deliveryWorkers": 0}}, "deliveryWorkers"),
        ({"notifications": {"allowProviderURLs": ["slack.com"]}}, "allowProviderURLs/0"),
        ({"notifications": {"allowProviderURLs": ["http://a:1@evil/"]}}, "allowProviderURLs/0"),
        ({"console": {"url": "appdeploy.example.com"}}, "url"),
    ],
)
def test_the_schema_refuses_bad_values(values: dict[str, Any], complaint: str) -> None:
    result = lint(with_webhook_from(values))  # the schema alone refuses
    assert result.returncode != 0
    assert complaint in result.stdout + result.stderr


EXPECTED_KINDS = {
    "defaults": {"Secret", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
                 "ClusterRoleBinding", "Service", "ValidatingAdmissionPolicy", "NetworkPolicy"},
    "namespaced": {"Role", "RoleBinding", "Secret"},
    "cert-manager": {"Certificate", "Issuer"},
    "cert-manager-issuer": {"Certificate"},
    "service-monitor": {"ServiceMonitor"},
    "pdb-and-network-policy": {"PodDisruptionBudget", "NetworkPolicy"},
    "existing-key": {"Secret"},
    "hard-door": {"ValidatingWebhookConfiguration", "ClusterRole"},
    "client-ca": {"ConfigMap", "NetworkPolicy"},
    "no-network-policy": {"Deployment", "MutatingWebhookConfiguration"},
    "no-webhook": {"Deployment", "ClusterRole", "NetworkPolicy"},
}  # fmt: skip
ABSENT_KINDS = {
    "defaults": {"ServiceMonitor", "PodDisruptionBudget", "Certificate"},
    "no-network-policy": {"NetworkPolicy"},
    "cert-manager": {"Secret"},
    "cert-manager-issuer": {"Issuer", "Secret"},
    "no-webhook": {"Service", "Secret", "MutatingWebhookConfiguration", "RoleBinding",
                   "ValidatingAdmissionPolicy"},
}  # fmt: skip


@pytest.mark.parametrize("variant", NAMES)
def test_each_option_renders_its_objects(variant: str, rendered: dict[str, Any]) -> None:
    present = kinds(rendered[variant])
    assert EXPECTED_KINDS[variant] <= present
    assert not ABSENT_KINDS.get(variant, set()) & present
    if variant == "cert-manager-issuer":
        certificate = one(rendered[variant], "Certificate")
        assert certificate["spec"]["issuerRef"]["name"] == "corp-ca"


def test_the_operator_is_one_restricted_replica(rendered: dict[str, Any]) -> None:
    deployment = one(rendered["defaults"], "Deployment")
    spec = deployment["spec"]
    # kopf standalone, no leader election: never two pods, not even during an upgrade.
    assert (spec["replicas"], spec["strategy"]) == (1, {"type": "Recreate"})
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["securityContext"] == HARDENED_CONTAINER
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    assert "--health-address=0.0.0.0:8080" in container["args"]


@pytest.mark.parametrize("variant", NAMES)
def test_the_operator_accepts_the_charts_flags(variant: str, rendered: dict[str, Any]) -> None:
    (container,) = one(rendered[variant], "Deployment")["spec"]["template"]["spec"]["containers"]
    # The image's entrypoint is `appdeploy operator`; the chart gives the flags.
    args = build_parser().parse_args(["operator", *container["args"]])
    assert args.namespace == VARIANTS[variant].get("watchNamespaces", [])
    webhook = VARIANTS[variant].get("webhook", {}).get("enabled", True)
    assert bool(args.webhook_address) == webhook == bool(args.approval_key_secret)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    if webhook:
        assert args.webhook_address.endswith(f":{ports['webhook']}")
    if args.metrics_address:
        assert args.metrics_address.endswith(f":{ports['metrics']}")
    client_ca = VARIANTS[variant].get("webhook", {}).get("clientCA", "")
    assert bool(args.webhook_client_ca) == bool(client_ca)
    step_pods = VARIANTS[variant].get("stepPods", {})
    assert args.allow_tolerate_all_taints == step_pods.get("allowTolerateAllTaints", False)
    assert args.allow_any_pod_labels == step_pods.get("allowAnyPodLabels", False)
    notifications = VARIANTS[variant].get("notifications", {})
    assert args.delivery_workers == notifications.get("deliveryWorkers", 32)
    assert args.allow_provider_url == notifications.get("allowProviderURLs", [])
    assert args.console_url == VARIANTS[variant].get("console", {}).get("url", "")
    reference_check = VARIANTS[variant].get("webhook", {}).get("referenceCheck", True)
    assert args.reference_check == reference_check
    # Check steps' measurement Jobs run exactly the operator's own image.
    assert args.provider_image == container["image"]


def test_a_pinned_digest_reaches_the_measurement_jobs_too() -> None:
    digest = "sha256:" + "a" * 64
    (container,) = one(render(with_webhook_from({"image": {"digest": digest}})), "Deployment")[
        "spec"
    ]["template"]["spec"]["containers"]
    args = build_parser().parse_args(["operator", *container["args"]])
    assert container["image"].endswith(f"@{digest}")
    assert args.provider_image == container["image"]


def test_the_webhook_client_ca_reaches_the_operator(rendered: dict[str, Any]) -> None:
    objects = rendered["client-ca"]
    (config_map,) = kind_of(objects, "ConfigMap")
    assert config_map["data"]["ca.crt"].strip() == CLIENT_CA.strip()
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    flag = next(a for a in container["args"] if a.startswith("--webhook-client-ca="))
    mount = next(m for m in container["volumeMounts"] if m["name"] == "webhook-client-ca")
    assert flag == f"--webhook-client-ca={mount['mountPath']}/ca.crt"
    volume = next(v for v in pod["volumes"] if v["name"] == "webhook-client-ca")
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert kind_of(rendered["defaults"], "ConfigMap") == [], "off unless a CA is given"


def _operator_rights(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        obj
        for obj in objects
        if obj["kind"] in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
        and "-operator" in obj["metadata"]["name"]
    ]


def test_namespaced_mode_grants_the_operator_nothing_cluster_wide(rendered: dict[str, Any]) -> None:
    rights = _operator_rights(rendered["namespaced"])
    assert {(obj["kind"], obj["metadata"]["namespace"]) for obj in rights} == {
        (kind, namespace) for kind in ("Role", "RoleBinding") for namespace in ("team-a", "team-b")
    }
    # Cluster-scoped, and only these: reading its own two webhook configurations by
    # name, reading ReleasePolicies and namespace labels, asking SubjectAccessReviews.
    bound = {b["roleRef"]["name"] for b in kind_of(rendered["namespaced"], "ClusterRoleBinding")}
    assert bound == {
        "appdeploy-webhook-configurations",
        "appdeploy-policy-reader",
        "appdeploy-access-review",
    }
    (role,) = [
        role
        for role in kind_of(rendered["namespaced"], "ClusterRole")
        if role["metadata"]["name"] == "appdeploy-webhook-configurations"
    ]
    assert role["rules"] == [
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
            "resourceNames": ["appdeploy"],
            "verbs": ["get"],
        }
    ]
    bindings = kind_of(rendered["namespaced"], "ValidatingAdmissionPolicyBinding")
    assert len(bindings) == 2  # decisions-only and step-objects
    for binding in bindings:
        selector = binding["spec"]["matchResources"]["namespaceSelector"]
        assert selector["matchExpressions"][0]["values"] == ["team-a", "team-b"]


USER_ROLES = {"appdeploy-view", "appdeploy-edit", "appdeploy-approve"}


def test_the_operator_reads_secrets_only_by_name(rendered: dict[str, Any]) -> None:
    # Its own key (get by name, create), and the Secrets channels name: get, never list
    # or watch, so it never holds the namespace's Secrets (docs/security.md).
    for variant, objects in rendered.items():
        for role in kind_of(objects, "Role") + kind_of(objects, "ClusterRole"):
            if role["metadata"]["name"] in USER_ROLES:
                continue  # the roles for people
            for rule in role["rules"]:
                if "secrets" not in rule["resources"]:
                    continue
                assert rule["resources"] == ["secrets"], variant
                if role["metadata"]["name"].endswith("-operator"):
                    assert rule["verbs"] == ["get"], variant  # the channels' Secrets
                    continue
                assert role["metadata"]["namespace"] == "appdeploy-system", variant
                assert rule.get("resourceNames") or rule["verbs"] == ["create"], variant
    key_role = one(rendered["existing-key"], "Role")
    assert key_role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": ["corp-approval-key"],
            "verbs": ["get"],
        }
    ]


def test_the_approve_role_only_reads_and_patches(rendered: dict[str, Any]) -> None:
    approve = one(rendered["defaults"], "ClusterRole", "appdeploy-approve")
    assert approve["rules"] == [
        {
            "apiGroups": ["appdeploy.dev"],
            "resources": ["appdeployments"],
            "verbs": ["get", "list", "watch", "patch"],
        }
    ]
    # Approving is always an explicit grant, never part of the built-in roles.
    assert not any("aggregate" in label for label in approve["metadata"]["labels"])
