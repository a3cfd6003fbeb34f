"""The Grafana dashboard shipped with the chart: rendered for the sidecar, and true to /metrics.

Every PromQL expression in helm/appdeploy/dashboards/appdeploy.json may name
only metrics the operator exports: the names are collected from the
prometheus_client registry after importing the operator's metrics modules,
so renaming a metric without the dashboard fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

import appdeploy.controller.gate_metrics
import appdeploy.controller.metrics
import appdeploy.controller.release_metrics  # noqa: F401  (registers its metrics)
from tests.helm.chart import CHART, NAMESPACE, kind_of, lint, render
from tests.helm.variants import with_webhook_from

DASHBOARD_FILE = CHART / "dashboards" / "appdeploy.json"
DASHBOARD = json.loads(DASHBOARD_FILE.read_text())
ENABLED = with_webhook_from({"grafana": {"dashboards": {"enabled": True}}})


def _dashboards(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [cm for cm in kind_of(objects, "ConfigMap") if "appdeploy.json" in cm.get("data", {})]


def test_the_dashboard_is_off_by_default() -> None:
    assert _dashboards(render(with_webhook_from())) == []


def test_the_sidecar_finds_the_dashboard_as_shipped() -> None:
    (config_map,) = _dashboards(render(ENABLED))
    metadata = config_map["metadata"]
    assert metadata["namespace"] == NAMESPACE
    assert metadata["labels"]["grafana_dashboard"] == "1"
    assert metadata["labels"]["app.kubernetes.io/name"] == "appdeploy"
    assert json.loads(config_map["data"]["appdeploy.json"]) == DASHBOARD


def test_labels_annotations_and_namespace_can_follow_the_grafana_install() -> None:
    dashboards = {
        "enabled": True,
        "label": "grafana.example.com/dashboard",
        "labelValue": "appdeploy",
        "labels": {"team": "release"},
        "annotations": {"grafana_folder": "Releases"},
        "namespace": "monitoring",
    }
    (config_map,) = _dashboards(render(with_webhook_from({"grafana": {"dashboards": dashboards}})))
    metadata = config_map["metadata"]
    assert metadata["namespace"] == "monitoring"
    assert metadata["labels"]["grafana.example.com/dashboard"] == "appdeploy"
    assert metadata["labels"]["team"] == "release"
    assert "grafana_dashboard" not in metadata["labels"]
    assert metadata["annotations"] == {"grafana_folder": "Releases"}


def test_helm_lint_passes_with_the_dashboard() -> None:
    result = lint(ENABLED)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("dashboards", "complaint"),
    [
        ({"enabled": "yes"}, "enabled"),
        ({"label": ""}, "label"),
        ({"labelValue": 1}, "labelValue"),
        ({"labels": {"team": 1}}, "labels"),
        ({"namespace": "Monitoring"}, "namespace"),
        ({"folder": "Releases"}, "folder"),
    ],
)
def test_the_schema_refuses_bad_dashboard_values(
    dashboards: dict[str, Any], complaint: str
) -> None:
    result = lint(with_webhook_from({"grafana": {"dashboards": dashboards}}))
    assert result.returncode != 0
    assert complaint in result.stdout + result.stderr


# --- the PromQL names what the operator exports ------------------------------------

_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
    "info": ("_info",),
}


def exported_names() -> set[str]:
    """Every series name the operator's registry can expose (labelled metrics included,
    observed or not: derived from each family's type)."""
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in _SUFFIXES.get(family.type, ("",))
    }


_DROPPED = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # strings (label values, regexes)
    r"|\{[^{}]*\}"  # label matchers
    r"|\[[^\]]*\]"  # ranges
    r"|\$\{?\w+\}?"  # Grafana variables
    r"|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)"  # label lists
)
_TOKEN = re.compile(
    r"(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)|(?P<name>[A-Za-z_:][\w:]*)"
)
_KEYWORDS = {"bool", "and", "or", "unless", "offset", "group_left", "group_right", "inf", "nan"}
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.*),\s*\w+\)$")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions and keywords left out)."""
    text = _DROPPED.sub(" ", expr)
    names = set()
    for token in _TOKEN.finditer(text):
        name = token.group("name")
        followed = text[token.end() :].lstrip()
        if name and name.lower() not in _KEYWORDS and not followed.startswith("("):
            names.add(name)
    return names


def _expressions(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"]
            found = _LABEL_VALUES.match(query)
            assert found, f"variable {variable['name']}: not label_values(...): {query}"
            yield f"variable {variable['name']}", found.group("selector")


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (app, le) (increase(a_bucket{job=~"$job", x="y(z)"}[$__range]))', {"a_bucket"}),
        ("histogram_quantile(0.9, sum without (pod) (rate(b_bucket[5m]))) > 1e3", {"b_bucket"}),
        ("c_total / on (job) group_left d offset 1h", {"c_total", "d"}),
    ],
)
def test_metric_names_are_read_from_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_every_expression_names_only_metrics_the_operator_exports() -> None:
    exported = exported_names()
    assert "appdeploy_release_duration_seconds_bucket" in exported  # the registry was read
    used: set[str] = set()
    for where, expr in _expressions(DASHBOARD):
        names = metric_names(expr)
        assert names, f"{where}: no metric in {expr}"
        assert names <= exported, f"{where}: {sorted(names - exported)} not exported"
        used |= names
    # The histograms are on the dashboard.
    assert {
        "appdeploy_gate_wait_seconds_bucket",
        "appdeploy_release_duration_seconds_bucket",
    } <= used


def test_panels_use_the_datasource_variable_and_do_not_overlap() -> None:
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in DASHBOARD["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert all(t["datasource"] == panel["datasource"] for t in panel["targets"])
