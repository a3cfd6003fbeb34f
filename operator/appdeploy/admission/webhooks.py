"""kopf admission handlers, served by the operator process (``--webhook-address``).

Handler ids are the URL paths the webhook configurations point at
(``https://HOST:PORT/validate-spec`` …). Refusals are kopf AdmissionErrors,
which kubectl prints verbatim: 422 for a spec that is not valid, 403 for one
that is valid but not allowed (a ReleasePolicy denies it, or the requester may
not use what it references; docs/policies.md, "At the door"). The step-object
hooks for Jobs and pods are always served; only clusters that configure them
(no ValidatingAdmissionPolicy) send them requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import kopf

from appdeploy.admission.attribution_hooks import register_attribution
from appdeploy.admission.configurations import (
    CHECK_DECISIONS,
    CHECK_STEP_JOBS,
    CHECK_STEP_PODS,
    SIGN_DECISIONS,
    VALIDATE_SPEC,
)
from appdeploy.admission.decisions import DecisionRefused, refusals, signed_values
from appdeploy.admission.policy_door import policy_answer
from appdeploy.admission.references import AccessReview, Requester, reference_refusals
from appdeploy.admission.step_objects import JOB_CONTROLLER_USERS, step_object_refusal
from appdeploy.admission.template_door import TemplateLookup, release_to_judge
from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.notify_validation import missing_channel_warnings
from appdeploy.api.pod_policy import SAFE_POLICY, StepPodPolicy
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.validation import parse_spec, release_name_problems
from appdeploy.engine import Settings
from appdeploy.engine.inputs import ObservedBreakGlass, PolicyFacts
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION

UNPROCESSABLE, FORBIDDEN = 422, 403


def _user(userinfo: kopf.UserInfo) -> tuple[str, list[str]]:
    return str(userinfo.get("username") or ""), [str(g) for g in userinfo.get("groups") or []]


def register_admission(
    registry: kopf.OperatorRegistry,
    signing_key: Callable[[], bytes],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    operator_username: Callable[[], str] = lambda: "",
    pod_policy: StepPodPolicy = SAFE_POLICY,
    job_controller: Sequence[str] = JOB_CONTROLLER_USERS,
    channels: Callable[[str], set[str] | None] = lambda namespace: None,
    remind_floor: timedelta = REMIND_FLOOR,
    policies: Callable[[str, str], PolicyFacts | None] = lambda namespace, app: PolicyFacts(),
    break_glass: Callable[[Mapping[str, Any]], ObservedBreakGlass | None] = lambda body: None,
    access_review: AccessReview | None = None,
    templates: TemplateLookup = lambda namespace, ref: None,
) -> None:
    """Add the admission handlers to ``registry``.

    ``channels`` names the NotificationChannels of a namespace (None: not known),
    so a release naming one that does not exist is accepted with a warning.

    ``operator_username`` is who the operator itself is: it may remove anyone's
    consumed decisions, and it alone creates Jobs labelled as steps;
    ``job_controller`` alone creates such pods.

    ``policies`` gives the ReleasePolicies in force for (namespace, app) (default: none), None
    when not known yet; ``break_glass`` reads a verified break-glass override
    from the request's object. ``access_review`` answers SubjectAccessReviews
    for the reference check (None: no reference check). ``templates`` finds the template a
    release names (default: none known, so such a release is admitted with a warning).
    """
    register_attribution(registry, signing_key, clock, operator_username, policies)

    @kopf.on.validate(GROUP, VERSION, PLURAL, id=VALIDATE_SPEC, registry=registry)
    def validate_spec(
        body: kopf.Body,
        userinfo: kopf.UserInfo | None = None,
        old: kopf.Body | None = None,
        warnings: list[str] | None = None,
        **_: Any,
    ) -> None:
        # Only a changed spec is checked, so an invalid release that got in while the
        # webhook was off can still be annotated and have its annotations removed.
        # The spec goes to parse_spec as sent: whatever its type, the answer is a
        # field-named refusal (never a 500), the same one the operator would give.
        spec = body.get("spec")
        if old is not None and old.get("spec") == spec:
            return
        try:
            if old is None and (problems := release_name_problems(str(body.meta.name))):
                raise InvalidSpec(problems)
            given = parse_spec(spec, pod_policy, remind_floor=remind_floor)
            parsed = release_to_judge(
                given,
                str(body.meta.namespace),
                templates,
                pod_policy,
                remind_floor,
                warnings=warnings,
            )
            if parsed is None:
                return
        except InvalidSpec as invalid:
            raise kopf.AdmissionError(
                "invalid AppDeployment: " + "; ".join(str(p) for p in invalid.problems),
                code=UNPROCESSABLE,
            ) from None
        namespace = str(body.meta.namespace)
        answer = policy_answer(parsed, spec, policies(namespace, parsed.app), break_glass(body))
        refused = list(answer.refusals)
        if access_review is not None:
            requester = Requester.from_userinfo(userinfo or {})
            refused += reference_refusals(parsed, namespace, requester, access_review)
        if refused:
            raise kopf.AdmissionError("; ".join(refused), code=FORBIDDEN)
        if warnings is not None:
            warnings.extend(answer.warnings)
            existing = channels(namespace)
            if existing is not None:
                warnings.extend(missing_channel_warnings(parsed, namespace, existing))

    @kopf.on.mutate(GROUP, VERSION, PLURAL, id=SIGN_DECISIONS, registry=registry)
    def sign_decisions(
        *,
        body: kopf.Body,
        userinfo: kopf.UserInfo,
        patch: kopf.Patch,
        old: kopf.Body | None = None,
        **_: Any,
    ) -> None:
        username, groups = _user(userinfo)
        try:
            values = signed_values(
                _plain(old),
                _body(body),
                username=username,
                groups=groups,
                key=signing_key(),
                now=clock(),
            )
        except DecisionRefused as refused:
            raise kopf.AdmissionError(str(refused), code=FORBIDDEN) from None
        for key, value in values.items():
            patch.setdefault("metadata", {}).setdefault("annotations", {})[key] = value

    @kopf.on.validate(GROUP, VERSION, PLURAL, id=CHECK_DECISIONS, registry=registry)
    def check_decisions(
        *, body: kopf.Body, userinfo: kopf.UserInfo, old: kopf.Body | None = None, **_: Any
    ) -> None:
        username, groups = _user(userinfo)
        reasons = refusals(
            _plain(old),
            _body(body),
            username=username,
            groups=groups,
            now=clock(),
            operator=operator_username(),
            settings=Settings(pod_policy=pod_policy, remind_floor=remind_floor),
        )
        if reasons:
            raise kopf.AdmissionError("; ".join(reasons), code=FORBIDDEN)

    def check_step_object(
        resource: str, body: kopf.Body, userinfo: kopf.UserInfo, old: kopf.Body | None
    ) -> None:
        reason = step_object_refusal(
            resource,
            None if old is None else {"metadata": dict(old.get("metadata") or {})},
            {"metadata": dict(body.get("metadata") or {})},
            username=_user(userinfo)[0],
            operator=operator_username(),
            job_controller=job_controller,
        )
        if reason:
            raise kopf.AdmissionError(reason, code=FORBIDDEN)

    @kopf.on.validate("batch", "v1", "jobs", id=CHECK_STEP_JOBS, registry=registry)
    def check_step_jobs(
        *, body: kopf.Body, userinfo: kopf.UserInfo, old: kopf.Body | None = None, **_: Any
    ) -> None:
        check_step_object("jobs", body, userinfo, old)

    @kopf.on.validate("", "v1", "pods", id=CHECK_STEP_PODS, registry=registry)
    def check_step_pods(
        *, body: kopf.Body, userinfo: kopf.UserInfo, old: kopf.Body | None = None, **_: Any
    ) -> None:
        check_step_object("pods", body, userinfo, old)


def _plain(body: kopf.Body | None) -> dict[str, Any] | None:
    return None if body is None else _body(body)


def _body(body: kopf.Body) -> dict[str, Any]:
    return {
        "metadata": dict(body.get("metadata") or {}),
        "spec": dict(body.get("spec") or {}),
        "status": dict(body.get("status") or {}),
    }
