"""Values the chart is rendered with in tests: the defaults and each option that changes objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# A CA certificate only (public), as an admin pastes it into webhook.clientCA.
CLIENT_CA = (Path(__file__).resolve().parent / "fixtures" / "webhook-client-ca.crt").read_text()

# The chart refuses to render until the admin says where webhook calls come
# from (docs/install.md#the-networkpolicy). Renders that are about something
# else state it the way a self-managed cluster's admin would: the control
# plane's addresses.
CONTROL_PLANE = [{"ipBlock": {"cidr": "10.0.0.0/28"}}]


def with_webhook_from(values: dict[str, Any] | None = None) -> dict[str, Any]:
    """``values`` plus networkPolicy.webhookFrom = CONTROL_PLANE (other networkPolicy keys kept)."""
    values = dict(values or {})
    values["networkPolicy"] = {"webhookFrom": CONTROL_PLANE, **values.get("networkPolicy", {})}
    return values


KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}

# The console in the cluster (tests/helm/test_console.py): alone (reached
# with kubectl port-forward), and behind an Ingress wired to an OIDC proxy.
CONSOLE_URL = "https://appdeploy.example.com"
CONSOLE = with_webhook_from({"console": {"enabled": True, "url": CONSOLE_URL}})
INGRESS_CONTROLLER = [
    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
]
CONSOLE_INGRESS = with_webhook_from(
    {
        "console": {
            "enabled": True,
            "url": CONSOLE_URL,
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "annotations": {
                    "nginx.ingress.kubernetes.io/auth-url": (
                        "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth"
                    ),
                    "nginx.ingress.kubernetes.io/auth-signin": (
                        "https://appdeploy.example.com/oauth2/start?rd=$escaped_request_uri"
                    ),
                    "nginx.ingress.kubernetes.io/auth-response-headers": "Authorization",
                },
                "tls": [
                    {"secretName": "appdeploy-console-tls", "hosts": ["appdeploy.example.com"]}
                ],
            },
            "networkPolicy": {"from": INGRESS_CONTROLLER},
        }
    }
)

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": with_webhook_from(),
    "namespaced": with_webhook_from({"watchNamespaces": ["team-a", "team-b"]}),
    "cert-manager": with_webhook_from({"webhook": {"certManager": {"enabled": True}}}),
    "cert-manager-issuer": with_webhook_from(
        {
            "webhook": {
                "certManager": {
                    "enabled": True,
                    "issuerRef": {
                        "name": "corp-ca",
                        "kind": "ClusterIssuer",
                        "group": "cert-manager.io",
                    },
                }
            }
        }
    ),
    "service-monitor": with_webhook_from(
        {"metrics": {"serviceMonitor": {"enabled": True, "labels": {"team": "sre"}}}}
    ),
    "pdb-and-network-policy": with_webhook_from(
        {
            "podDisruptionBudget": {"enabled": True},
            "networkPolicy": {
                "metricsFrom": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                        }
                    }
                ],
                "apiServer": {"ports": [6443], "cidrs": ["10.0.0.1/32"]},
                "providers": {"ports": [443], "cidrs": ["203.0.113.0/24"], "dns": [KUBE_DNS]},
            },
        }
    ),
    # A hard door (validate-spec fails closed), no reference check, the old aggregation.
    "hard-door": with_webhook_from(
        {
            "webhook": {"validateSpecFailurePolicy": "Fail", "referenceCheck": False},
            "userRoles": {"aggregateToDefaultRoles": True},
        }
    ),
    # The client certificate is the fence: the webhook port is open to any source.
    "client-ca": {"webhook": {"clientCA": CLIENT_CA}},
    "existing-key": with_webhook_from({"approvalKey": {"existingSecret": "corp-approval-key"}}),
    "no-network-policy": {"networkPolicy": {"enabled": False}},
    "no-webhook": {
        "webhook": {"enabled": False},
        "metrics": {"enabled": False},
        "operator": {"trustUnverifiedApprovals": True, "logFormat": "json", "jobTTL": "never"},
        "stepPods": {"allowTolerateAllTaints": True, "allowAnyPodLabels": True},
        "notifications": {
            "deliveryWorkers": 3,
            "allowProviderURLs": ["https://slack-proxy.example.com/api/", "http://127.0.0.1:"],
        },
        "console": {"url": "https://appdeploy.example.com"},
        "userRoles": {"create": False, "restrictPatchToDecisions": False},
        "stepObjects": {"protect": False},
    },
}
