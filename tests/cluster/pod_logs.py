"""Container logs for pods on the fake node, so ``kubectl logs`` and ``appdeploy logs`` work.

KWOK serves the kubelet's ``containerLogs`` endpoint from files named by a
ClusterLogs rule; the file is in the CRI log format a kubelet reads. Every
container of every pod gets the same short log: enough to prove the whole
path (client → API server → "kubelet" on 127.0.0.1) end to end.
"""

from __future__ import annotations

from pathlib import Path

import yaml

LOG_LINES = ("step started (simulated by KWOK)", "step finished (simulated by KWOK)")


def write_log_config(directory: Path) -> Path:
    """Write the log file and its ClusterLogs rule; return the rule's path (a KWOK --config)."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "container.log"
    log.write_text(
        "".join(
            f"2026-01-01T00:00:0{i}.000000000Z stdout F {line}\n"
            for i, line in enumerate(LOG_LINES)
        )
    )
    rule = directory / "logs.yaml"
    rule.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kwok.x-k8s.io/v1alpha1",
                "kind": "ClusterLogs",
                "metadata": {"name": "appdeploy-container-logs"},
                "spec": {"selector": {}, "logs": [{"logsFile": str(log), "follow": False}]},
            }
        )
    )
    return rule
