"""Store actions a rollout step's Jobs run: Google Play staged fractions, App Store phased releases.

Each action reads the store's state before it writes, so a retried or
duplicated Job changes nothing the second time; the result is a flat JSON
object of strings (the Job's termination message), judged by the planner.
Nothing here knows about Kubernetes: the Job hands in the target and the
credentials through environment variables (docs/rollouts.md).
"""
