"""Exit codes shared by every ``appdeploy`` subcommand, and the help text that lists them.

CI jobs and pre-commit branch on the code, so it means the same thing in every
command: 1 says "the release (or file) is wrong, fix it", 2 says "the command
was called wrongly, fix the invocation".
"""

from __future__ import annotations

OK = 0
INVALID = 1
USAGE = 2

EXIT_CODES_HELP = """exit codes:
  0  success: every AppDeployment checked is valid
  1  at least one file or release is invalid (each problem is printed as FILE:LINE: FIELD: ...)
  2  usage error: a missing file, an unknown option, an ambiguous choice"""
