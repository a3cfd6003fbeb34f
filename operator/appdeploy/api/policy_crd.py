"""The ReleasePolicy CustomResourceDefinition, generated from ``appdeploy.api.policy``.

Cluster-scoped: a policy is the cluster admin's statement about many
namespaces, so no namespace's editors may own one. No status subresource
yet: nothing writes one. Like the other CRDs, the models are the only schema
and CI fails when the committed copy is stale. Run
``python -m appdeploy.api.policy_crd [--output PATH]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from appdeploy.api.crd import GROUP, appdeploy_crd, generate_main, object_schema, render_yaml
from appdeploy.api.policy import POLICY_KIND, POLICY_PLURAL, ReleasePolicySpec
from appdeploy.api.structural_schema import structural_schema

POLICY_CRD_NAME = f"{POLICY_PLURAL}.{GROUP}"

_PRINTER_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    # The CRD carries no defaults (structural_schema), so an empty column means Deny.
    ("Enforcement", "string", ".spec.enforcement", "Deny (when empty), Warn or Audit."),
    ("Age", "date", ".metadata.creationTimestamp", "Time since the policy was created."),
)


def build_policy_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``releasepolicies.appdeploy.dev`` as a plain dict."""
    schema = object_schema(
        "Gates, approvers and limits every release in scope must meet.",
        structural_schema(ReleasePolicySpec, {"requireGates": ("name",)}),
    )
    return appdeploy_crd(
        POLICY_KIND,
        POLICY_PLURAL,
        ["rpol"],
        _PRINTER_COLUMNS,
        schema,
        cluster_scoped=True,
        status=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Write the CRD to ``--output``, or print it."""
    return generate_main(
        argv,
        "appdeploy.api.policy_crd",
        "Generate the ReleasePolicy CRD.",
        lambda: render_yaml(build_policy_crd()),
    )


if __name__ == "__main__":
    raise SystemExit(main())
