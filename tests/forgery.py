"""Forged step objects: a Job or pod that claims to be a release step's, with chosen outputs.

Shared by the attack stories with the chart's admission policy installed
(tests/helm/test_forged_results.py) and without it
(tests/integration/test_forged_results.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

FORGED_OUTPUTS = {"buildNumber": "666"}
REAL_OUTPUTS = {"buildNumber": "412"}
KWOK = {
    "kwok.appdeploy.dev/duration": "0ms",
    "kwok.appdeploy.dev/termination-message": json.dumps(FORGED_OUTPUTS),
}


def forged_job(real: dict[str, Any], name: str) -> dict[str, Any]:
    """A copy of the real Job's labels and owner reference, whose pod succeeds at once."""
    template = copy.deepcopy(real["spec"]["template"])
    template["metadata"] = {"labels": dict(real["metadata"]["labels"]), "annotations": KWOK}
    template["spec"].pop("nodeName", None)
    return {
        "metadata": {
            "name": name,
            "labels": dict(real["metadata"]["labels"]),
            "ownerReferences": real["metadata"]["ownerReferences"],
        },
        "spec": {"backoffLimit": 0, "template": template},
    }


def forged_pod(real_job: dict[str, Any], name: str) -> dict[str, Any]:
    """A pod the Job controller would adopt: the real Job's labels, including its controller-uid."""
    labels = dict(real_job["spec"]["template"]["metadata"]["labels"])
    return {
        "metadata": {"name": name, "labels": labels, "annotations": KWOK},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "step", "image": "example.invalid/forger:1"}],
        },
    }
