"""Who approves which gate, the exact command, and running it as that person.

The demo approves the way a person would: ``kubectl appdeploy approve``
impersonating the approver (``--as``/``--as-group``), so the API server
authorizes the request with RBAC as that user, not as the admin, and the
operator's admission webhook signs the decision with that identity. The
command is the ``kubectl-appdeploy`` plugin installed in the project's
virtualenv.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from appdeploy.api.spec import AppDeploymentSpec, GateSpec
from appdeploy.engine.gates import may_decide

PLUGIN = "kubectl-appdeploy"
APPROVE_TIMEOUT = 60.0
"""Seconds an approval command may take: it waits (up to 30 s) for the operator to take it."""


@dataclass(frozen=True)
class Approver:
    """A person, their groups, and what they say when approving."""

    user: str
    groups: tuple[str, ...]
    comment: str


# The example's cast. compliance must be decided by someone other than the QA
# approvers (distinctFrom), which is why carol is not alice or bob.
PERSONAS: dict[str, tuple[Approver, ...]] = {
    "qa-signoff": (
        Approver("alice@example.com", ("qa",), "tested on iPhone 15"),
        Approver("bob@example.com", ("qa",), "tested on Pixel 8"),
    ),
    "compliance": (
        Approver("carol@example.com", ("compliance",), "scan clean, release notes reviewed"),
    ),
    "go-full-rollout": (
        Approver("dave@example.com", ("release-managers",), "crash-free rate 99.8% at 50%"),
    ),
}


REMINDED_FIRST = frozenset({"qa-signoff"})
"""Gates whose cast, approving by itself (``--auto-approve``), waits for the first reminder.

QA takes its time: alice and bob approve once they were reminded, so every
run of the demo shows a reminder going out while a gate waits on people.
"""


def approvers_for(name: str, gate: GateSpec) -> tuple[Approver, ...]:
    """The people who approve ``name`` in the demo: the cast, or made up from the spec.

    The fallback keeps the demo working if the example gains a gate: enough
    distinct members of the gate's first group (or its listed users).
    """
    cast = PERSONAS.get(name, ())
    if len(cast) >= gate.required and all(
        may_decide(gate.approvers, a.user, a.groups) for a in cast
    ):
        return cast[: gate.required]
    if gate.approvers.groups:
        group = gate.approvers.groups[0]
        return tuple(
            Approver(f"{group}-{i}-{name}@example.com", (group,), "approved in the demo")
            for i in range(1, gate.required + 1)
        )
    return tuple(Approver(user, (), "approved in the demo") for user in gate.approvers.users)


def members_by_group(spec: AppDeploymentSpec) -> dict[str, list[str]]:
    """Group -> the people the demo plays in it (to name who a message to a group is for)."""
    members: dict[str, list[str]] = {}
    for step in spec.steps:
        if step.gate is None:
            continue
        for approver in approvers_for(step.name, step.gate):
            for group in approver.groups:
                people = members.setdefault(group, [])
                people += [approver.user] if approver.user not in people else []
    return members


def approver_groups(spec: AppDeploymentSpec) -> list[str]:
    """Every group that approves some gate: the groups the demo's RBAC lets annotate."""
    groups: list[str] = []
    for step in spec.steps:
        if step.gate is not None:
            groups.extend(g for g in step.gate.approvers.groups if g not in groups)
    return groups


def approve_argv(namespace: str, release: str, gate: str, approver: Approver) -> list[str]:
    """``kubectl appdeploy approve`` as the approver, as a person types it.

    No ``--overwrite`` and no identity to trust: the webhook replaces what the
    command writes with an envelope of whom the API server authenticated (here:
    whom the admin impersonates), signs it and moves it to that person's own
    key, so approvers of one gate never wait on each other.
    """
    argv = ["kubectl", "appdeploy", "approve", release, gate, "-m", approver.comment]
    argv += ["-n", namespace, "--as", approver.user]
    for group in approver.groups:
        argv += ["--as-group", group]
    return argv


def shell_command(argv: list[str]) -> str:
    """The command as a person pastes it into a shell."""
    return shlex.join(argv)


def plugin_directory() -> Path:
    """Where ``kubectl-appdeploy`` is installed: next to this Python (the project's .venv/bin)."""
    return Path(sys.executable).parent


def shell_setup(kubeconfig: Path) -> str:
    """What another terminal needs before the printed commands work: the cluster and the plugin."""
    return f"export KUBECONFIG={shlex.quote(str(kubeconfig))} PATH={plugin_directory()}:$PATH"


def _environment(kubeconfig: Path) -> dict[str, str]:
    # No proxy: the cluster is on loopback and no request may leave the machine.
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["KUBECONFIG"] = str(kubeconfig)
    env["PATH"] = f"{plugin_directory()}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass(frozen=True)
class Outcome:
    """What an approval command printed, and whether it succeeded."""

    gate: str
    approver: Approver
    command: str
    ok: bool
    output: str


class Approving(Protocol):
    """An approval in flight: a command (RunningApproval) or a console's form (ConsoleApproval)."""

    gate: str
    approver: Approver
    command: str
    shown: str
    """The line that says what was started."""

    def finish(self) -> Outcome: ...

    def stop(self) -> None: ...


class RunningApproval:
    """One ``kubectl appdeploy approve`` in flight, as its own process.

    The command returns once the operator consumed the decision and says what
    it recorded, so several run side by side while the demo keeps watching.
    """

    def __init__(
        self, kubeconfig: Path, namespace: str, release: str, gate: str, who: Approver
    ) -> None:
        self.gate = gate
        self.approver = who
        typed = approve_argv(namespace, release, gate, who)
        self.command = shell_command(typed)
        self.shown = f"$ {self.command}"
        # kubectl runs the plugin with the same arguments; without kubectl, run the plugin.
        argv = typed if shutil.which("kubectl") else [str(plugin_directory() / PLUGIN), *typed[2:]]
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_environment(kubeconfig),
        )

    def finish(self) -> Outcome:
        """Wait for the command; what it printed."""
        try:
            output, _ = self.process.communicate(timeout=APPROVE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            return self._outcome(False, f"no answer within {APPROVE_TIMEOUT:g}s")
        return self._outcome(self.process.returncode == 0, output.strip())

    def stop(self) -> None:
        """End the command if it still runs (the demo is ending)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _outcome(self, ok: bool, output: str) -> Outcome:
        return Outcome(self.gate, self.approver, self.command, ok, output)
