"""Text people wrote, shown on one line: in logs, terminals and tables.

Comments, reasons and step output are attacker-controlled: a newline must not
forge a second log line or table row, and an escape sequence must not repaint
a terminal.
"""

from __future__ import annotations


def escape_line(text: str) -> str:
    """``text`` on one line: ``\\n`` for newlines, escapes for other control characters."""
    return "".join(_shown(char) for char in text)


def _shown(char: str) -> str:
    if char == "\n":
        return "\\n"
    if char == "\t" or char.isprintable():
        return char
    return char.encode("unicode_escape").decode("ascii")
