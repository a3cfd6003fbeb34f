"""Optional changes to the bench's own local cluster, applied in this process only.

Stock kube-controller-manager limits each controller's client to 20
requests/s (burst 30). With zero-delay pods the Job controller needs about
six requests per Job, so at 20/s it, not the operator, sets the pace of 200
releases. ``--controller-manager-qps`` lifts that limit to see what the
operator does when Jobs finish as fast as the API server allows. It wraps
the launcher's argv builder for the duration of ``up``; no file changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from tests.cluster import components


@contextlib.contextmanager
def controller_manager_qps(qps: int | None) -> Iterator[None]:
    """While active, clusters started in this process get ``--kube-api-qps=qps`` (burst 2x)."""
    if qps is None:
        yield
        return
    original = components.controller_manager

    def with_qps(*args: Any, **kwargs: Any) -> components.Component:
        component = original(*args, **kwargs)
        flags = [f"--kube-api-qps={qps}", f"--kube-api-burst={2 * qps}"]
        return dataclasses.replace(component, argv=[*component.argv, *flags])

    components.controller_manager = with_qps
    try:
        yield
    finally:
        components.controller_manager = original
