"""Exit codes shared by every ``appdeploy`` subcommand, and the help layout that lists them.

CI jobs and pre-commit branch on the code, so it means the same thing in every
command: 1 says "the release (or file) is wrong, fix it", 2 says "the command
was called wrongly, fix the invocation".
"""

from __future__ import annotations

import argparse

OK = 0
INVALID = 1
USAGE = 2


def exit_codes_help(meanings: dict[int, str]) -> str:
    """The ``exit codes:`` block of a subcommand's ``--help``, one line per code."""
    return "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in meanings.items())


class HelpFormatter(argparse.HelpFormatter):
    """Wrap the description like argparse does, but keep the epilog's lines as written.

    The epilog is a table (exit codes, examples) that wrapping would scramble;
    the description is prose that should fit the terminal.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)
