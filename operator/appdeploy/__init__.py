"""appdeploy: orchestrate mobile app releases on Kubernetes.

A release is an ``AppDeployment`` resource: a DAG of run steps (Jobs), approval
gates and soak waits. ``appdeploy.api`` holds the schema, ``appdeploy.engine``
the pure planner that decides what happens next.
"""

__version__ = "0.1.0"
