"""Render the Helm chart with the helm CLI built from its Go module (tests/helm/build.sh).

``render(values)`` returns the objects ``helm template`` produces, as dicts;
``kind_of``/``one`` pick from them. Helm runs without proxies and, unless a
kubeconfig is given for lookups, with none at all, so a render can never
reach a cluster by accident.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "appdeploy"
BUILD_SCRIPT = Path(__file__).resolve().parent / "build.sh"
RELEASE = "appdeploy"
NAMESPACE = "appdeploy-system"


class HelmError(RuntimeError):
    """helm exited non-zero; the message carries its stderr."""


@functools.cache
def helm_binary() -> str:
    """The helm binary's path, building it on first use (about a minute cold)."""
    result = subprocess.run(
        [str(BUILD_SCRIPT)], capture_output=True, text=True, check=False, timeout=900
    )
    if result.returncode != 0:
        raise HelmError(f"tests/helm/build.sh failed:\n{result.stderr}")
    return result.stdout.strip()


def _environment(kubeconfig: Path | None, home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["KUBECONFIG"] = str(kubeconfig) if kubeconfig else os.devnull
    # Helm keeps repository caches and plugins under these; nothing here needs them.
    for variable in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[variable] = os.path.join(home, variable.lower())
    return env


def helm(*args: str, kubeconfig: Path | None = None, check: bool = True) -> str:
    """Run helm; its stdout, or HelmError with stderr when it fails and ``check``."""
    with tempfile.TemporaryDirectory(prefix="helm-home-") as home:
        result = subprocess.run(
            [helm_binary(), *args],
            capture_output=True,
            text=True,
            check=False,
            env=_environment(kubeconfig, home),
            timeout=120,
        )
    if check and result.returncode != 0:
        raise HelmError(f"helm {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout + (result.stderr if not check else "")


def _values_args(values: dict[str, Any] | None, directory: str) -> list[str]:
    if not values:
        return []
    path = Path(directory) / "values.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return ["--values", str(path)]


def template_text(
    values: dict[str, Any] | None = None,
    *,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
    kubeconfig: Path | None = None,
    extra: Sequence[str] = (),
) -> str:
    """``helm template`` output; with a kubeconfig, lookups see that cluster (--dry-run=server)."""
    with tempfile.TemporaryDirectory(prefix="helm-values-") as directory:
        args = ["template", release, str(CHART), "--namespace", namespace]
        args += _values_args(values, directory)
        if kubeconfig is not None:
            args.append("--dry-run=server")
        return helm(*args, *extra, kubeconfig=kubeconfig)


def render(values: dict[str, Any] | None = None, **options: Any) -> list[dict[str, Any]]:
    """The objects the chart renders (CRDs excluded, as ``helm template`` does)."""
    return [doc for doc in yaml.safe_load_all(template_text(values, **options)) if doc]


def lint(values: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
    """``helm lint --strict`` (the schema applies); never raises."""
    with tempfile.TemporaryDirectory(prefix="helm-values-") as directory:
        args = [helm_binary(), "lint", "--strict", str(CHART), *_values_args(values, directory)]
        with tempfile.TemporaryDirectory(prefix="helm-home-") as home:
            return subprocess.run(
                args,
                capture_output=True,
                text=True,
                check=False,
                env=_environment(None, home),
                timeout=120,
            )


def kind_of(objects: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The objects of one kind, in render order."""
    return [obj for obj in objects if obj.get("kind") == kind]


def one(objects: Iterable[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The single object of that kind (and name)."""
    found = [
        obj for obj in kind_of(objects, kind) if name is None or obj["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def kinds(objects: Iterable[dict[str, Any]]) -> set[str]:
    """The kinds present."""
    return {obj["kind"] for obj in objects}


HARDENED_CONTAINER = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""The container securityContext of every pod the chart runs (operator and console)."""
