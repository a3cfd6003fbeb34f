"""Where a bench run keeps its report and samples, and how it hands the report over.

Every bench (``bench``, ``bench.notifications``, ``bench.chaos``,
``bench.console``) writes to ``~/.cache/appdeploy/<kind>/<UTC time>/`` by
default (``APPDEPLOY_CACHE_DIR`` moves the root), prints its Markdown report
and says on stderr where everything else is.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path


def default_out_dir(kind: str) -> Path:
    """``~/.cache/appdeploy/<kind>/<UTC time>`` (or under ``APPDEPLOY_CACHE_DIR``)."""
    root = os.environ.get("APPDEPLOY_CACHE_DIR") or str(Path.home() / ".cache" / "appdeploy")
    return Path(root) / kind / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def publish(report: str, out_dir: Path, kept: str, prefix: str = "bench") -> None:
    """Write ``report.md``, print the report, and name on stderr what ``out_dir`` keeps."""
    (out_dir / "report.md").write_text(report)
    print(report)
    print(f"[{prefix}] {kept} in {out_dir}", file=sys.stderr)
