"""One reconcile of one release: observe, plan, apply; return when to look again.

Synchronous on purpose: it runs in a worker thread, and reads like the three
steps it is. When the API server refuses a Job for good, the refusal becomes
one more observed fact and the release is planned again in the same pass,
so the planner words the status and the Event, and status is written once.

The observed Jobs come from the watch cache, but anything the planner would
take as "deleted" is confirmed with a GET first, so a lagging cache can never
fail a step or duplicate a Job.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from appdeploy.api.approvals import Target
from appdeploy.controller import metrics
from appdeploy.controller.cache import Key, ReleaseCache
from appdeploy.controller.channels import ChannelCache, channel_state, named_channels
from appdeploy.controller.config import OperatorConfig
from appdeploy.controller.gate_metrics import observe_gates
from appdeploy.controller.policies import PolicyCache
from appdeploy.controller.release_metrics import observe_release
from appdeploy.engine import Observed, ObservedJob, Plan, PostEvent, Release, Settings, plan
from appdeploy.engine.inputs import ChannelState, PolicyFacts
from appdeploy.k8s.annotations import read_requests
from appdeploy.k8s.apply import Applied, apply_plan
from appdeploy.k8s.attribution import read_author, read_break_glass
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.observe import controlled_pods, newest_pod, observed_job

log = logging.getLogger("appdeploy.reconcile")

RETRY_SOON = timedelta(seconds=0)
PLAN_PASSES = 3
"""Plans per reconcile: refusals found by one apply are planned around by the next."""


class Reconciler:
    """Reconciles releases against one cluster."""

    def __init__(
        self,
        cluster: Cluster,
        cache: ReleaseCache,
        config: OperatorConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        signing_key: bytes | None = None,
        operator_username: str = "",
        channels: ChannelCache | None = None,
        policies: PolicyCache | None = None,
    ) -> None:
        self.signing_key = signing_key
        self.channels = channels
        """The channel watch's cache; None: channels are not looked at (nor judged)."""
        self.policies = policies
        """The ReleasePolicies and namespace labels; None: policies are not enforced."""
        self.cluster = cluster
        self.cache = cache
        self.config = config
        self.clock = clock
        self.settings = Settings(
            trust_unverified_approvals=config.trust_unverified_approvals,
            pod_policy=config.pod_policy,
            signing_key=signing_key,
            operator_username=operator_username,
            console_url=config.console_url,
            remind_floor=config.remind_floor,
            provider_image=config.provider_image,
        )
        self.phases = metrics.PhaseTracker()

    def reconcile(self, key: Key) -> timedelta | None:
        """Bring one release forward; the delay until it must be looked at again, if any."""
        namespace, name = key
        release = self.cluster.get_release(namespace, name)
        if release is None:
            self.cache.forget(key)
            self.phases.set(key, None)
            return None
        now = self.clock()
        observed = self.observe(key, release)
        result, applied = self._plan_and_apply(release, observed, now)
        if applied.refused:
            log.warning("%s/%s: Jobs refused again in one pass; retrying", namespace, name)
            return RETRY_SOON
        if applied.conflict:
            log.debug("%s/%s changed while planning; reconciling again", namespace, name)
            metrics.RECONCILES.labels("conflict").inc()
            return RETRY_SOON
        metrics.RECONCILES.labels("ok").inc()
        if applied.status_written and result.stored_status is None:
            spec = release.get("spec") or {}
            observe_gates(release.get("status"), result.status, spec)
            observe_release(release.get("status"), result.status, spec)
        self.phases.set(key, str(result.status.phase))
        for event in result.of_type(PostEvent):
            metrics.EVENTS.labels(str(event.type), str(event.reason)).inc()
        return result.requeue_after

    def _plan_and_apply(
        self, release: dict[str, Any], observed: Observed, now: datetime
    ) -> tuple[Plan, Applied]:
        metadata = release["metadata"]
        subject = Release(
            name=metadata["name"],
            namespace=metadata["namespace"],
            generation=int(metadata.get("generation") or 1),
            spec=release.get("spec") or {},
            status=release.get("status"),
            uid=str(metadata.get("uid") or ""),
        )
        ttl = self.config.job_ttl
        ttl_seconds = int(ttl.total_seconds()) if ttl else None
        for _ in range(PLAN_PASSES):
            result = plan(subject, observed, now, self.settings)
            applied = apply_plan(self.cluster, release, result, now, ttl_seconds)
            if not applied.refused:
                break
            refused = observed.refused_jobs + applied.refused
            observed = dataclasses.replace(observed, refused_jobs=refused)
        return result, applied

    def observe(self, key: Key, release: dict[str, Any]) -> Observed:
        """What the planner needs: this release's Jobs (confirmed), and its annotations."""
        namespace = key[0]
        uid = release["metadata"].get("uid")
        jobs = self.cache.jobs(key)
        for name in self._referenced_jobs(release):
            if name not in jobs and (job := self.cluster.get_job(namespace, name)) is not None:
                jobs[name] = job
        observed: list[ObservedJob] = []
        for job in jobs.values():
            if not _owned_by(job, uid):
                continue
            job_uid = str(job["metadata"].get("uid") or "")
            pods = controlled_pods(job, self.cache.pods(namespace, job_uid))
            if not pods and _finished(job):
                pods = controlled_pods(job, self.cluster.pods_of_job(namespace, job_uid))
            seen = observed_job(job, newest_pod(pods))
            if seen is not None:
                observed.append(seen)
        annotations = release["metadata"].get("annotations") or {}
        target = Target(namespace, str(release["metadata"]["name"]), str(uid))
        decisions, retry, cancel = read_requests(annotations, target, self.signing_key)
        return Observed(
            jobs=tuple(sorted(observed, key=lambda job: job.name)),
            decisions=decisions,
            retry=retry,
            cancel=cancel,
            channels=self._channels(namespace, release.get("spec") or {}),
            policies=self._policies(namespace, release.get("spec")),
            break_glass=read_break_glass(release, self.signing_key),
            author=read_author(release, self.signing_key),
        )

    def _policies(self, namespace: str, spec: Any) -> PolicyFacts | None:
        if self.policies is None:
            return None
        app = spec.get("app") if isinstance(spec, dict) else None
        # An unreadable spec is Invalid whatever the policies say; its app may be anything.
        return self.policies.facts(namespace, str(app or ""), self.cluster.get_namespace)

    def _channels(self, namespace: str, spec: dict[str, Any]) -> dict[str, ChannelState] | None:
        """The channels the release names, as found; a missing one is absent."""
        if self.channels is None:
            return None
        found: dict[str, ChannelState] = {}
        for name in sorted(named_channels(spec)):
            channel = self.channels.get(namespace, name)
            if channel is None:  # the watch may not have listed it yet: ask before saying "absent"
                channel = self.cluster.get_channel(namespace, name)
                if channel is not None:
                    self.channels.put(channel, deleted=False)
            if channel is not None:
                found[name] = channel_state(channel)
        return found

    @staticmethod
    def _referenced_jobs(release: dict[str, Any]) -> list[str]:
        steps = (release.get("status") or {}).get("steps") or []
        return [step["job"] for step in steps if step.get("job") and step.get("phase") == "Running"]


def _owned_by(job: dict[str, Any], uid: str | None) -> bool:
    owners = job.get("metadata", {}).get("ownerReferences") or []
    return any(owner.get("uid") == uid for owner in owners)


def _finished(job: dict[str, Any]) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions
    )
