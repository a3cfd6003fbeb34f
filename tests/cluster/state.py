"""The state file through which `down` and `status` find a running cluster."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.cluster.process import ProcessRecord


@dataclass
class ClusterState:
    name: str
    run_dir: str
    bin_dir: str
    server: str
    kubeconfig: str
    ports: dict[str, int]
    # "starting" until every readiness check passed, then "ready"; "failed"
    # after an aborted `up`, "stopped" after `down`.
    phase: str = "starting"
    processes: list[ProcessRecord] = field(default_factory=list)

    def save(self, path: Path) -> None:
        # Written atomically: `down` may read it while `up` is still running.
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> ClusterState:
        raw = json.loads(path.read_text())
        raw["processes"] = [ProcessRecord(**record) for record in raw.get("processes", [])]
        return cls(**raw)
