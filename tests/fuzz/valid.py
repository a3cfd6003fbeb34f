"""Valid AppDeployment specs, as varied as the API allows, from a seeded ``random.Random``.

Every spec drawn here must pass ``parse_spec``: the mutations
(tests/fuzz/mutations.py) start from these, so a refusal can be blamed on the
mutation. Steps need only earlier steps (so there is no cycle), and
substitutions name only what exists: params, and outputs of run steps that
are ancestors.

A plain seeded generator rather than hypothesis strategies: hypothesis spent
about 40 ms drawing each spec, so 10,000 took minutes before checking
anything; a seed reproduces any case exactly (``python -m tests.fuzz --seed``).
"""

from __future__ import annotations

import string
from random import Random
from typing import Any

PEOPLE = ("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com")
GROUPS = ("qa", "compliance", "release-managers")
USER_LABEL = "user.appdeploy.dev/"

# The awkward parts of Unicode: accents, CJK, emoji, RTL and zero-width marks,
# NUL, newlines, quotes, and a letter outside the BMP.
AWKWARD = ["é", "漢", "🚀", "\u200b", "\u202e", "\x00", "\n", "\t", '"', "\\", "\U0001d400", " "]
PLAIN = string.ascii_letters + string.digits + "-_.:/@ "
DNS_CHARS = string.ascii_lowercase + string.digits + "-"


def text(rng: Random, most: int = 16) -> str:
    """Free text (no ``$``): mostly plain, sometimes awkward."""
    return "".join(
        rng.choice(AWKWARD) if rng.random() < 0.15 else rng.choice(PLAIN)
        for _ in range(rng.randint(0, most))
    )


def dns_label(rng: Random) -> str:
    """A lowercase RFC 1123 label, sometimes the longest one allowed."""
    if rng.random() < 0.05:
        return "s" * 63
    inner = "".join(rng.choice(DNS_CHARS) for _ in range(rng.randint(0, 10)))
    ends = string.ascii_lowercase + string.digits
    return rng.choice(ends) + (inner + rng.choice(ends) if inner or rng.random() < 0.5 else "")


def reference_name(rng: Random) -> str:
    """A param or output name that a substitution can spell."""
    first = string.ascii_letters + "_"
    rest = string.ascii_letters + string.digits + "-_."
    return rng.choice(first) + "".join(rng.choice(rest) for _ in range(rng.randint(0, 8)))


def duration(rng: Random) -> str:
    """``0s``, ``90s``, ``1h30m``, ``7d``: units in order, small numbers."""
    parts = [f"{rng.randint(0, 99)}{unit}" for unit in "dhms" if rng.random() < 0.4]
    return "".join(parts) or "0s"


def _quantity(rng: Random, millis: int) -> Any:
    form = rng.randint(0, 3)
    if millis % 1000 or form == 3:
        return f"{millis}m"
    return (millis // 1000, str(millis // 1000), f"{millis // 1000}e0")[form]


def resources(rng: Random) -> dict[str, Any]:
    """A cpu request, and maybe a limit at least as large."""
    request = rng.randint(0, 8000)
    out: dict[str, Any] = {"requests": {"cpu": _quantity(rng, request)}}
    if rng.random() < 0.5:
        out["limits"] = {"cpu": _quantity(rng, request + rng.randint(0, 8000))}
    return out


def substituted(rng: Random, params: list[str], outputs_from: list[str], final: bool) -> str:
    """Free text with references spliced in that resolve where it is written."""
    choices = ["$(app)", "$(version)", "$(run.id)", "$$(date)"]
    choices += [f"$(params.{name})" for name in params]
    choices += [f"$(steps.{step}.outputs.{reference_name(rng)})" for step in outputs_from]
    if final:
        choices.append("$(run.phase)")
    pieces = [
        rng.choice(choices) if rng.random() < 0.4 else text(rng, 8)
        for _ in range(rng.randint(0, 4))
    ]
    return "".join(pieces)


def run_spec(
    rng: Random, params: list[str], outputs_from: list[str], final: bool
) -> dict[str, Any]:
    """A step's ``run``: image, command, env, resources and the pod's extras."""

    def words() -> list[str]:
        return [substituted(rng, params, outputs_from, final) for _ in range(rng.randint(0, 3))]

    run: dict[str, Any] = {"image": rng.choice(["busybox", "ghcr.io/acme/b:1", "$(app):latest"])}
    if rng.random() < 0.5:
        run["command"] = words()
    if rng.random() < 0.5:
        run["args"] = words()
    if rng.random() < 0.5:
        run["env"] = [
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "signing", "key": "t"}}}
            if rng.random() < 0.2
            else {"name": f"VAR_{i}", "value": substituted(rng, params, outputs_from, final)}
            for i in range(rng.randint(0, 3))
        ]
    if rng.random() < 0.3:
        run["envFrom"] = [{"secretRef": {"name": "signing", "optional": rng.random() < 0.5}}]
    if rng.random() < 0.4:
        run["resources"] = resources(rng)
    if rng.random() < 0.2:
        run["serviceAccountName"] = "ios-signer"
    if rng.random() < 0.2:
        run["nodeSelector"] = {reference_name(rng): text(rng, 6)}
    if rng.random() < 0.2:
        run["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "ci"}]
    if rng.random() < 0.2:
        run["podMetadata"] = {
            "labels": {USER_LABEL + reference_name(rng): text(rng, 6)},
            "annotations": {reference_name(rng): text(rng)},
        }
    if rng.random() < 0.2:
        run["automountServiceAccountToken"] = rng.random() < 0.5
    return run


def gate_spec(
    rng: Random, params: list[str], outputs_from: list[str], other_gates: list[str]
) -> dict[str, Any]:
    """A gate that some allowed people can pass."""
    users = rng.sample(PEOPLE, rng.randint(0, 3))
    groups = rng.sample(GROUPS, rng.randint(0 if users else 1, 2))
    approvers: dict[str, Any] = {}
    if users or rng.random() < 0.3:
        approvers["users"] = users
    if groups or rng.random() < 0.3:
        approvers["groups"] = groups
    gate: dict[str, Any] = {"approvers": approvers}
    if rng.random() < 0.5:
        gate["required"] = rng.randint(1, 3 if groups else len(users))
    if rng.random() < 0.5:
        gate["description"] = substituted(rng, params, outputs_from, final=False)
    if other_gates and rng.random() < 0.3:
        gate["distinctFrom"] = rng.sample(other_gates, rng.randint(1, len(other_gates)))
    if rng.random() < 0.5:
        gate["onTimeout"] = rng.choice(["Fail", "Approve"])
    return gate


def retry_policy(rng: Random) -> dict[str, Any]:
    """``{limit, backoff, maxBackoff}``, any of them left out."""
    policy: dict[str, Any] = {}
    if rng.random() < 0.7:
        policy["limit"] = rng.choice([0, 1, 2, 3, 100])
    if rng.random() < 0.5:
        policy["backoff"] = duration(rng)
    if rng.random() < 0.5:
        policy["maxBackoff"] = duration(rng)
    return policy


def ancestors(needs: dict[str, list[str]], name: str) -> set[str]:
    """Every step that ``name`` waits for, transitively."""
    seen: set[str] = set()
    stack = list(needs[name])
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(needs[parent])
    return seen


def valid_spec(rng: Random) -> dict[str, Any]:
    """A spec that ``parse_spec`` accepts: 1-7 steps, maybe finally steps."""
    names: list[str] = []
    count = rng.randint(1, 7)
    while len(names) < count:
        if (name := dns_label(rng)) not in names:
            names.append(name)
    split = rng.randint(1, len(names))
    main, final = names[:split], names[split:]
    kinds = {name: rng.choice(["run", "run", "gate", "wait"]) for name in main}
    params = list(dict.fromkeys(reference_name(rng) for _ in range(rng.randint(0, 3))))
    spec: dict[str, Any] = {
        "app": dns_label(rng),
        "version": rng.choice(["4.12.0", "1", text(rng) or "v"]),
        "steps": [],
    }
    if params or rng.random() < 0.2:
        spec["params"] = {name: text(rng) for name in params}
    if rng.random() < 0.2:
        spec["serviceAccountName"] = "release-runner"
    if rng.random() < 0.3:
        defaults = {"timeout": duration(rng), "gateTimeout": duration(rng), "retries": {}}
        defaults["retries"] = retry_policy(rng)
        spec["defaults"] = {k: v for k, v in defaults.items() if rng.random() < 0.6}
    needs: dict[str, list[str]] = {}
    gates = [name for name in main if kinds[name] == "gate"]
    for index, name in enumerate(main):
        needs[name] = rng.sample(main[:index], rng.randint(0, min(2, index)))
        upstream = sorted(n for n in ancestors(needs, name) if kinds[n] == "run")
        step: dict[str, Any] = {"name": name}
        if needs[name] or rng.random() < 0.2:
            step["needs"] = needs[name]
        if kinds[name] == "run":
            step["run"] = run_spec(rng, params, upstream, final=False)
            if rng.random() < 0.4:
                step["retries"] = retry_policy(rng)
        elif kinds[name] == "gate":
            step["gate"] = gate_spec(rng, params, upstream, [g for g in gates if g != name])
        else:
            step["wait"] = {"duration": duration(rng)}
        if kinds[name] != "wait" and rng.random() < 0.4:
            step["timeout"] = duration(rng)
        spec["steps"].append(step)
    runs = [name for name in main if kinds[name] == "run"]
    if final:
        spec["finally"] = []
    for index, name in enumerate(final):
        step = {"name": name, "run": run_spec(rng, params, runs, final=True)}
        if index and rng.random() < 0.5:
            step["needs"] = rng.sample(final[:index], rng.randint(1, min(2, index)))
        spec["finally"].append(step)
    return spec
