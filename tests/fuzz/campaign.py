"""Many fuzz cases in a row, with the figures docs/reliability.md reports."""

from __future__ import annotations

import time
import traceback
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tests.fuzz.cases import case_for
from tests.fuzz.oracle import judge


@dataclass
class Figures:
    """What a campaign saw."""

    examples: int = 0
    valid: int = 0
    strict: int = 0
    """Cases with exactly one mutation, whose refusal had to name the field it broke."""
    mutations: Counter[str] = field(default_factory=Counter)
    error_kinds: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[int, str]] = field(default_factory=list)
    """(seed, what went wrong) of every case that raised or where the layers disagreed."""
    seconds: float = 0.0

    def report(self) -> str:
        """The figures as the lines ``make fuzz`` prints."""
        invalid = self.examples - self.valid
        lines = [
            f"examples:      {self.examples}",
            f"valid:         {self.valid} ({100 * self.valid / max(self.examples, 1):.1f}%)",
            f"invalid:       {invalid} ({self.strict} with one mutation, its field checked)",
            f"failures:      {len(self.failures)} (exceptions or disagreements)",
            f"error kinds:   {len(self.error_kinds)} distinct refusal messages (names blanked)",
            f"mutations:     {len(self.mutations)} kinds, {sum(self.mutations.values())} applied",
            f"time:          {self.seconds:.1f}s ({self.examples / max(self.seconds, 1e-9):.0f}/s)",
            "most applied:  "
            + ", ".join(f"{kind} {count}" for kind, count in self.mutations.most_common(8)),
            "most seen errors:",
            *(f"  {count:6}  {kind}" for kind, count in self.error_kinds.most_common(10)),
        ]
        for seed, problem in self.failures[:5]:
            lines += [
                f"FAILED seed {seed} (python -m tests.fuzz --seed {seed} --examples 1):",
                problem,
            ]
        return "\n".join(lines)


def run(seeds: Iterable[int]) -> Figures:
    """Judge the case of every seed; failures are collected, not raised."""
    figures = Figures()
    started = time.perf_counter()
    for seed in seeds:
        case = case_for(seed)
        figures.examples += 1
        figures.mutations.update(mutation.kind for mutation in case.mutations)
        try:
            verdict = judge(case)
        except Exception:  # every exception is a finding: keep going, report them all
            figures.failures.append((seed, traceback.format_exc(limit=-4)))
            continue
        figures.valid += verdict.valid
        figures.strict += case.strict and not verdict.valid
        figures.error_kinds.update(verdict.kinds)
    figures.seconds = time.perf_counter() - started
    return figures
