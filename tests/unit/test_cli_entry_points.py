"""One program, two names: ``appdeploy`` and ``kubectl-appdeploy`` (a kubectl plugin).

Also what pre-commit and CI rely on: every subcommand documents its exit
codes, the offline commands start without kopf or the kubernetes client, and
the published pre-commit hook runs ``appdeploy validate`` on YAML files.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml

from appdeploy.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(sysconfig.get_path("scripts"))
OFFLINE = ("validate", "graph", "schema", "crd")


def test_both_console_scripts_point_at_the_same_main() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert declared["appdeploy"] == declared["kubectl-appdeploy"] == "appdeploy.cli.main:main"
    installed = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert installed["appdeploy"] == installed["kubectl-appdeploy"] == "appdeploy.cli.main:main"


@pytest.mark.parametrize("script", ["appdeploy", "kubectl-appdeploy"])
def test_the_installed_scripts_validate_alike(script: str) -> None:
    path = SCRIPTS / script
    if not path.exists():
        pytest.skip(f"{script} is not installed in this environment (pip install -e .)")
    result = subprocess.run(
        [str(path), "validate", "examples/hello.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "examples/hello.yaml: hello-1-0-0 ok (3 steps: 2 run, 1 gate)\n"


@pytest.mark.parametrize("command", OFFLINE)
def test_every_offline_command_documents_its_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert "exit codes:\n  0  " in help_text
    assert re.search(r"^  2  usage error", help_text, re.MULTILINE)


def test_the_top_level_help_lists_the_offline_commands() -> None:
    help_text = build_parser().format_help()
    for command in OFFLINE:
        assert re.search(rf"^    {command}\s", help_text, re.MULTILINE), command
    assert "Exit codes:" in help_text


def test_a_wrong_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["graph", "examples/hello.yaml", "--format", "png"])
    assert exited.value.code == 2
    assert "invalid choice: 'png'" in capsys.readouterr().err


def test_offline_commands_load_neither_kopf_nor_kubernetes() -> None:
    # pre-commit runs validate on every commit: it must start fast and need no cluster.
    probe = (
        "import sys\n"
        "from appdeploy.cli.main import main\n"
        "code = main(['validate', '--quiet', 'examples'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('kopf', 'kubernetes'))\n"
        "print(code, ','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "0"


def test_the_pre_commit_hook_validates_yaml_files() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "appdeploy-validate"
    assert hook["entry"] == "appdeploy validate"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("releases/shop.yaml") and files.search("releases/shop.yml")
    assert not files.search("releases/shop.json") and not files.search("shop.yaml.bak")
    # pre-commit appends the staged file names to the entry.
    entry = hook["entry"].split()
    assert entry[0] == "appdeploy"
    assert main([*entry[1:], "--quiet", "examples/hello.yaml"]) == 0
