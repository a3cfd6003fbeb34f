"""Which files a command reads: named files as given, directories searched for YAML.

A GitOps repository mixes releases with Helm values, Kustomizations and CI
configuration, so a directory is searched for ``*.yaml`` and ``*.yml`` only,
hidden directories (``.git``, ``.venv``) are skipped, and the order is sorted
so that output (and golden tests) do not depend on the file system. A file
named explicitly is read whatever its suffix: the user asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")


class MissingPathError(Exception):
    """A path on the command line that does not exist (a usage error, exit 2)."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"no such file or directory: {path} (check the path; directories are "
            "searched for *.yaml and *.yml)"
        )


def yaml_files(arguments: Iterable[str]) -> list[Path]:
    """The files to read for these command-line paths, in a stable order, without repeats."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(_search(path))
        elif path.exists():
            found.append(path)
        else:
            raise MissingPathError(argument)
    return list(dict.fromkeys(found))


def _search(directory: Path) -> list[Path]:
    files = []
    for path in sorted(directory.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(directory).parts)
        if not hidden and path.suffix in YAML_SUFFIXES and path.is_file():
            files.append(path)
    return files


def read_text(path: Path) -> str:
    """The file's text; UnicodeDecodeError and OSError are left to the caller to report."""
    return path.read_text(encoding="utf-8")
