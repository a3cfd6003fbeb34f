"""``python -m tests.fuzz [--examples N] [--seed S]``: judge N generated releases, print figures.

Exits 1 when any case raised or the layers disagreed; each failure names its
seed, and ``--seed S --examples 1`` replays exactly that case.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tests.fuzz.campaign import run


def main(argv: Sequence[str] | None = None) -> int:
    """Run the campaign and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=10_000, help="cases to judge")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first case")
    args = parser.parse_args(argv)
    figures = run(range(args.seed, args.seed + args.examples))
    print(figures.report())
    return 1 if figures.failures else 0


if __name__ == "__main__":
    sys.exit(main())
