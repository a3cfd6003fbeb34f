"""Where ``policy explain`` takes the release, policies and labels from, short of a cluster.

The stories on the control plane are in
``tests/integration/test_policy_explain_cluster.py``; these pin what is
decided before the API server is asked: which form runs, usage errors, an
API server that does not answer, and that the offline form loads no
kubernetes client.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from appdeploy.cli.main import main
from tests.unit.test_cli_policy import files

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def kubeconfig(tmp_path: Path) -> str:
    """A kubeconfig of an API server on a closed loopback port."""
    path = tmp_path / "kubeconfig"
    server = f"http://127.0.0.1:{closed_port()}"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return str(path)


@pytest.mark.parametrize("argv", [[], ["shop-1", "-f", "release.yaml"]])
def test_explain_needs_exactly_one_of_name_and_file(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "explain", *argv]) == 2
    error = capsys.readouterr().err
    assert error == "appdeploy policy explain: error: give NAME or -f FILE (one)\n"


def test_a_file_for_another_namespace_than_n_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, release = files(tmp_path)
    argv = ["policy", "explain", "-f", release, "-n", "other", "--kubeconfig", kubeconfig(tmp_path)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"appdeploy policy explain: error: {release}: shop-1 is for namespace store-releases, "
        "not -n other (as for kubectl apply)\n"
    )


def test_an_api_server_that_does_not_answer_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, release = files(tmp_path)
    assert main(["policy", "explain", "-f", release, "--kubeconfig", kubeconfig(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "appdeploy policy explain: error: cannot list ReleasePolicies "
        "(releasepolicies.appdeploy.dev): the API server did not answer ("
    ), captured.err


def test_the_offline_form_loads_no_kubernetes_client(tmp_path: Path) -> None:
    policies, release = files(tmp_path)
    probe = (
        "import sys\n"
        "from appdeploy.cli.main import main\n"
        f"code = main(['policy', 'explain', '-f', {release!r}, '--policies', {policies!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('kopf', 'kubernetes'))\n"
        "print(code, ','.join(loaded), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == "1"
