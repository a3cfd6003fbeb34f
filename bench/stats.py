"""Percentiles of latency samples.

Nearest-rank percentiles (no interpolation): every figure reported is a
latency that was actually observed, which keeps p99 of a few hundred samples
honest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of non-empty ``values``."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """Count, p50, p99 and max of one series, in seconds."""

    count: int
    p50: float
    p99: float
    max: float
    mean: float


def summarize(values: Sequence[float]) -> Summary | None:
    """The summary of a series, or None when it is empty."""
    if not values:
        return None
    return Summary(
        count=len(values),
        p50=percentile(values, 50),
        p99=percentile(values, 99),
        max=max(values),
        mean=sum(values) / len(values),
    )
