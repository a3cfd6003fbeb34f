"""Prometheus text scraped from the operator's and the API server's /metrics.

Counters are read before and after the run and subtracted, so requests made
while the operator started (kopf's initial lists, the CRD install) are not
charged to the releases.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]
Samples = dict[tuple[str, Labels], float]


def parse(text: str) -> Samples:
    """Every sample as (name, sorted labels) -> value."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return samples


def scrape_url(url: str) -> Samples:
    """GET a plain-HTTP /metrics (the operator's), never through a proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return parse(response.read().decode())


def scrape_https(api_client: Any, base_url: str) -> Samples:
    """A cluster component's /metrics over TLS, as the admin client (cluster CA, admin cert)."""
    response = api_client.rest_client.request("GET", f"{base_url}/metrics")
    response.read()
    return parse(response.data.decode())


def delta(after: Samples, before: Samples) -> Samples:
    """after - before for every sample present after (absent before counts as 0)."""
    return {key: value - before.get(key, 0.0) for key, value in after.items()}


def total(samples: Samples, name: str, by: Iterable[str] = ()) -> dict[tuple[str, ...], float]:
    """Sum of one metric's samples, grouped by the given label names."""
    keys = tuple(by)
    sums: dict[tuple[str, ...], float] = {}
    for (sample_name, labels), value in samples.items():
        if sample_name != name:
            continue
        label_map = dict(labels)
        group = tuple(label_map.get(key, "") for key in keys)
        sums[group] = sums.get(group, 0.0) + value
    return sums


def histogram_quantile(samples: Samples, name: str, q: float) -> float | None:
    """Upper bound of the bucket holding the q-quantile (0..1) of a histogram delta.

    Buckets of all label sets (e.g. every verb) are added up first.
    """
    cumulative = {
        bound: count for (bound,), count in total(samples, f"{name}_bucket", ("le",)).items()
    }
    buckets = sorted((float(bound), count) for bound, count in cumulative.items())
    if not buckets or buckets[-1][1] <= 0:
        return None
    wanted = q * buckets[-1][1]
    return next(bound for bound, count in buckets if count >= wanted)
