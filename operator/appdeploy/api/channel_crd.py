"""The NotificationChannel CustomResourceDefinition, generated from ``appdeploy.api.channels``.

Like the AppDeployment CRD (``appdeploy.api.crd``), the models are the only
schema and CI fails when the committed copy is stale. Run
``python -m appdeploy.api.channel_crd [--output PATH]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from appdeploy.api.channels import (
    CHANNEL_KIND,
    CHANNEL_PLURAL,
    TRANSPORTS,
    NotificationChannelSpec,
    NotificationChannelStatus,
)
from appdeploy.api.crd import GROUP, appdeploy_crd, generate_main, object_schema, render_yaml
from appdeploy.api.structural_schema import structural_schema

CHANNEL_CRD_NAME = f"{CHANNEL_PLURAL}.{GROUP}"

_PRINTER_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("Ready", "string", '.status.conditions[?(@.type=="Ready")].status', "Can deliver."),
    ("Reason", "string", '.status.conditions[?(@.type=="Ready")].reason', "Why (not) ready."),
    ("Age", "date", ".metadata.creationTimestamp", "Time since the channel was created."),
)


def build_channel_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``notificationchannels.appdeploy.dev`` as a plain dict."""
    schema = object_schema(
        "Where appdeploy tells people it is their turn: one of " + ", ".join(TRANSPORTS) + ".",
        structural_schema(NotificationChannelSpec, {}),
        structural_schema(NotificationChannelStatus, {"conditions": ("type",)}),
    )
    return appdeploy_crd(CHANNEL_KIND, CHANNEL_PLURAL, ["nch"], _PRINTER_COLUMNS, schema)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the CRD to ``--output``, or print it."""
    return generate_main(
        argv,
        "appdeploy.api.channel_crd",
        "Generate the NotificationChannel CRD.",
        lambda: render_yaml(build_channel_crd()),
    )


if __name__ == "__main__":
    raise SystemExit(main())
