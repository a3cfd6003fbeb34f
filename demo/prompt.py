"""What the demo prints when a gate waits on people: the commands to run, the pages to open.

Without ``--auto-approve`` the demo stops at each gate and tells whoever
plays its approvers how to decide it: the plain ``kubectl appdeploy
approve`` command for each (from any terminal), and the gate's panel in each
one's own web console (demo.consoles), whose page says before the click
whether they may decide and why not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from demo.approvers import Approver, approve_argv, shell_command, shell_setup
from demo.consoles import gate_lines
from demo.view import Printer


@dataclass(frozen=True)
class Prompt:
    """Where the people are told to act: the cluster, the release, their consoles."""

    printer: Printer
    kubeconfig: Path
    namespace: str
    release: str
    consoles: Mapping[str, str]
    """User -> the URL of their web console."""

    def lines(
        self, heading: str, gate: str, people: Sequence[Approver], others: str, first: bool
    ) -> list[str]:
        """The prompt for ``gate``; ``others``: gates whose approvers it bars (distinctFrom)."""
        names = " and ".join(a.user for a in people)
        lines = [self.printer.bold(f"  >> {heading}. Approve it as {names}, from any terminal:")]
        if others:
            lines.append(f"     (distinctFrom: whoever approved {others} may not approve {gate})")
        lines.append("")
        if first:
            lines.append(f"     {shell_setup(self.kubeconfig)}")
        for approver in people:
            argv = approve_argv(self.namespace, self.release, gate, approver)
            lines.append(f"     {shell_command(argv)}")
        lines.append("")
        if len(people) > 1:
            lines += [
                "     They may run at the same moment: the webhook signs each decision and "
                "moves it to its\n     author's own key, so approvals never collide.",
                "",
            ]
        pages = gate_lines(self.consoles, self.namespace, self.release, gate, people)
        if pages:
            lines.append("     Or in the browser, in their own web console (signed all the same):")
            lines += [f"     {page}" for page in pages]
            lines.append("")
        return lines
