"""The ReleaseTemplate and ClusterReleaseTemplate CRDs, generated from ``appdeploy.api.templates``.

One spec, two scopes: a ReleaseTemplate is owned by a namespace's release
engineers and serves that namespace; a ClusterReleaseTemplate is the cluster
admin's and serves all. No status subresource: nothing writes one yet. Like
the other CRDs, the models are the only schema and CI fails when the
committed copies are stale. Run ``python -m appdeploy.api.template_crd
--kind ReleaseTemplate|ClusterReleaseTemplate [--output PATH]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from appdeploy.api.crd import GROUP, appdeploy_crd, object_schema, render_yaml, write_generated
from appdeploy.api.structural_schema import structural_schema
from appdeploy.api.templates import (
    CLUSTER_TEMPLATE_KIND,
    CLUSTER_TEMPLATE_PLURAL,
    TEMPLATE_KIND,
    TEMPLATE_PLURAL,
    ReleaseTemplateSpec,
)

TEMPLATE_CRD_NAME = f"{TEMPLATE_PLURAL}.{GROUP}"
CLUSTER_TEMPLATE_CRD_NAME = f"{CLUSTER_TEMPLATE_PLURAL}.{GROUP}"
LIST_KEYS = {"params": ("name",), "steps": ("name",), "finally": ("name",)}

_PRINTER_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("Age", "date", ".metadata.creationTimestamp", "Time since the template was created."),
)


def build_template_crd(kind: str = TEMPLATE_KIND) -> dict[str, Any]:
    """The CRD of ``releasetemplates`` or ``clusterreleasetemplates`` as a plain dict."""
    cluster = kind == CLUSTER_TEMPLATE_KIND
    schema = object_schema(
        "A release recipe with typed params that releases name in spec.templateRef"
        + (", for every namespace." if cluster else ", for releases of its namespace."),
        structural_schema(ReleaseTemplateSpec, LIST_KEYS),
    )
    return appdeploy_crd(
        kind,
        CLUSTER_TEMPLATE_PLURAL if cluster else TEMPLATE_PLURAL,
        ["crtpl"] if cluster else ["rtpl"],
        _PRINTER_COLUMNS,
        schema,
        cluster_scoped=cluster,
        status=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Write the CRD of ``--kind`` to ``--output``, or print it."""
    parser = argparse.ArgumentParser(
        prog="python -m appdeploy.api.template_crd", description="Generate a template CRD."
    )
    parser.add_argument("--kind", choices=(TEMPLATE_KIND, CLUSTER_TEMPLATE_KIND), required=True)
    parser.add_argument("--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    return write_generated(render_yaml(build_template_crd(args.kind)), args.output)


if __name__ == "__main__":
    raise SystemExit(main())
