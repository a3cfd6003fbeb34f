"""Kubernetes I/O: Job manifests, reading what the cluster holds, applying a Plan.

Functions that only transform dicts (``jobs``, ``observe``, ``annotations``)
are pure and unit-tested; ``cluster`` and ``apply`` talk to the API server.
"""
