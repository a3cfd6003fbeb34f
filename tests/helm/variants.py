"""Values the chart is rendered with in tests: the defaults and each option that changes objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# A CA certificate only (public), as an admin pastes it into webhook.clientCA.
CLIENT_CA = (Path(__file__).resolve().parent / "fixtures" / "webhook-client-ca.crt").read_text()

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "namespaced": {"watchNamespaces": ["team-a", "team-b"]},
    "cert-manager": {"webhook": {"certManager": {"enabled": True}}},
    "cert-manager-issuer": {
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
    },
    "service-monitor": {
        "metrics": {"serviceMonitor": {"enabled": True, "labels": {"team": "sre"}}}
    },
    "pdb-and-network-policy": {
        "podDisruptionBudget": {"enabled": True},
        "networkPolicy": {
            "enabled": True,
            "metricsFrom": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    }
                }
            ],
            "apiServer": {"ports": [6443], "cidrs": ["10.0.0.1/32"]},
        },
    },
    "client-ca": {"webhook": {"clientCA": CLIENT_CA}},
    "existing-key": {"approvalKey": {"existingSecret": "corp-approval-key"}},
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
