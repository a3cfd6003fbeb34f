"""The NotificationChannel CustomResourceDefinition, generated from ``appdeploy.api.channels``.

Like the AppDeployment CRD (``appdeploy.api.crd``), the models are the only
schema and CI fails when the committed copy is stale. Run
``python -m appdeploy.api.channel_crd [--output PATH]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from appdeploy.api.channels import (
    CHANNEL_KIND,
    CHANNEL_PLURAL,
    TRANSPORTS,
    NotificationChannelSpec,
    NotificationChannelStatus,
)
from appdeploy.api.crd import GROUP, namespaced_crd, render_yaml
from appdeploy.api.structural_schema import structural_schema

CHANNEL_CRD_NAME = f"{CHANNEL_PLURAL}.{GROUP}"

_PRINTER_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("Ready", "string", '.status.conditions[?(@.type=="Ready")].status', "Can deliver."),
    ("Reason", "string", '.status.conditions[?(@.type=="Ready")].reason', "Why (not) ready."),
    ("Age", "date", ".metadata.creationTimestamp", "Time since the channel was created."),
)


def build_channel_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``notificationchannels.appdeploy.dev`` as a plain dict."""
    schema = {
        "description": "Where appdeploy tells people it is their turn: one of "
        + ", ".join(TRANSPORTS)
        + ".",
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": structural_schema(NotificationChannelSpec, {}),
            "status": structural_schema(NotificationChannelStatus, {"conditions": ("type",)}),
        },
    }
    return namespaced_crd(CHANNEL_KIND, CHANNEL_PLURAL, ["nch"], _PRINTER_COLUMNS, schema)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the CRD to ``--output``, or print it."""
    parser = argparse.ArgumentParser(
        prog="python -m appdeploy.api.channel_crd",
        description="Generate the NotificationChannel CRD.",
    )
    parser.add_argument("--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    text = render_yaml(build_channel_crd())
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
