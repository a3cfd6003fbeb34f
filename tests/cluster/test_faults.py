"""`up` fails loudly and cleanly: it names the component, quotes its log and
leaves no process behind. Needs the built binaries (but no running cluster).
"""

from __future__ import annotations

import dataclasses
import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster import ComponentError, binaries, down, status, up
from tests.cluster.layout import Ports
from tests.cluster.ports import LOOPBACK

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_bin_dir() -> Path:
    return binaries.locate(build=True)


def fake_bin_dir(real: Path, directory: Path, broken: str, script: str) -> Path:
    """Real binaries, except `broken`, which is replaced by a shell script."""
    directory.mkdir()
    for name in binaries.BINARIES:
        (directory / name).symlink_to(real / name)
    (directory / broken).unlink()
    (directory / broken).write_text(f"#!/bin/sh\n{script}\n")
    (directory / broken).chmod(0o755)
    return directory


def assert_nothing_left(run_dir: Path) -> None:
    current = status(run_dir)
    assert current is not None
    assert current.state.phase == "failed"
    assert not any(current.running.values()), current.running


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_port_clash_names_the_component_and_its_log(
    real_bin_dir: Path, tmp_path: Path, occupied_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(real_bin_dir))
    clashing = dataclasses.replace(Ports.allocate(), etcd_client=occupied_port)

    with pytest.raises(ComponentError) as failed:
        up(tmp_path / "run", ports=clashing, timeout=30)

    assert failed.value.component == "etcd"
    assert str(tmp_path / "run" / "etcd.log") in str(failed.value)
    assert "address already in use" in str(failed.value)
    assert_nothing_left(tmp_path / "run")


def test_component_dying_while_starting_is_reported_with_its_log(
    real_bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = 'echo "simulated crash: cannot load certificates" >&2\nexit 3'
    fake = fake_bin_dir(real_bin_dir, tmp_path / "bin", "kube-apiserver", script)
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(fake))

    with pytest.raises(ComponentError) as failed:
        up(tmp_path / "run", timeout=30)

    assert failed.value.component == "kube-apiserver"
    message = str(failed.value)
    assert "exited with code 3" in message
    assert "simulated crash: cannot load certificates" in message
    assert "kube-apiserver.log" in message
    assert_nothing_left(tmp_path / "run")  # etcd, started first, was stopped


def test_hanging_component_times_out_and_its_whole_process_group_is_killed(
    real_bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shell with a child process: stopping must take down the whole group.
    child = f"sleep {random.randint(100_000, 999_999)}"
    fake = fake_bin_dir(real_bin_dir, tmp_path / "bin", "etcd", f"{child} &\nwait")
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(fake))

    with pytest.raises(ComponentError) as failed:
        up(tmp_path / "run", timeout=1)

    assert failed.value.component == "etcd"
    assert "timed out after 1s waiting for etcd" in str(failed.value)
    assert_nothing_left(tmp_path / "run")
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p) == child]
    assert leftovers == []


def test_missing_binary_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(tmp_path / "empty"))

    with pytest.raises(ComponentError) as failed:
        up(tmp_path / "run")

    assert "binaries missing" in str(failed.value)
    assert "kube-apiserver" in str(failed.value)
    down(tmp_path / "run")  # harmless after a failed up


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
