"""Admission webhooks: refuse invalid releases up front; give every decision a verified identity.

``decisions`` and ``configurations`` are plain functions over admission
payloads and manifests; ``webhooks`` wires them into kopf's admission server
inside the operator process.
"""
