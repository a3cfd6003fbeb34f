"""``appdeploy console``'s options: addresses, the shared CSRF secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from appdeploy.console.serve import parse_address, read_secret


def test_an_address_is_host_and_port() -> None:
    assert parse_address("127.0.0.1:8765") == ("127.0.0.1", 8765)
    assert parse_address("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError, match="--address 8765: expected HOST:PORT"):
        parse_address("8765")


def test_a_shared_csrf_secret_is_read_and_must_be_long_enough(tmp_path: Path) -> None:
    good, short = tmp_path / "good", tmp_path / "short"
    good.write_text("k" * 40 + "\n")
    short.write_text("tiny")
    assert read_secret(str(good)) == b"k" * 40
    assert read_secret("") is None
    with pytest.raises(ValueError, match="needs at least 32 bytes"):
        read_secret(str(short))
    with pytest.raises(ValueError, match=r"--csrf-secret-file .*missing: No such file"):
        read_secret(str(tmp_path / "missing"))
