"""The console's vendored JavaScript is exactly what its lock pins (issue #12).

The committed files are checked offline against the lock's sha256; the
download path is run on tarballs made here, served by a local fetch function
in place of the registry, so refusing a wrong tarball is proven without the
network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from tools.vendor_js import (
    LOCK_NAME,
    REGISTRY,
    VENDOR_DIR,
    VendorError,
    check,
    http_fetch,
    load_lock,
    main,
    tarball_url,
    vendor,
)


def test_the_committed_files_match_the_lock() -> None:
    assert check(VENDOR_DIR) == []
    assert main(["--check"]) == 0


def test_the_lock_pins_htmx_2_and_its_sse_extension_under_0bsd() -> None:
    packages = {p.name: p for p in load_lock(VENDOR_DIR / LOCK_NAME)}
    assert packages["htmx.org"].version.startswith("2.0.")
    assert packages["htmx-ext-sse"].version.startswith("2.")
    assert {p.license for p in packages.values()} == {"0BSD"}
    names = {f.name for p in packages.values() for f in p.files}
    assert names == {"htmx.min.js", "htmx.LICENSE", "htmx-ext-sse.js", "htmx-ext-sse.LICENSE"}
    # The file says which htmx it is: it must be the version the lock names.
    htmx = (VENDOR_DIR / "htmx.min.js").read_text(encoding="utf-8")
    assert f'version:"{packages["htmx.org"].version}"' in htmx


@pytest.fixture
def vendor_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, copy)
    return copy


def test_a_changed_byte_is_caught(vendor_copy: Path) -> None:
    target = vendor_copy / "htmx.min.js"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    problems = check(vendor_copy)
    assert len(problems) == 1
    assert "htmx.min.js differs" in problems[0]
    assert main(["--check", "--dir", str(vendor_copy)]) == 1


def test_a_missing_licence_is_caught(vendor_copy: Path) -> None:
    (vendor_copy / "htmx-ext-sse.LICENSE").unlink()
    assert check(vendor_copy) == ["htmx-ext-sse@2.2.4: htmx-ext-sse.LICENSE is missing"]


def test_a_version_edited_without_make_vendor_is_caught(vendor_copy: Path) -> None:
    lock = vendor_copy / LOCK_NAME
    lock.write_text(lock.read_text().replace('"2.0.11"', '"2.0.10"'))
    assert any("pins no tarball for this version" in p for p in check(vendor_copy))


def _tgz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _lock(directory: Path, version: str, integrity: str, members: list[str]) -> None:
    package = {
        "name": "demo-lib",
        "version": version,
        "tarball": tarball_url("demo-lib", version) if integrity else "",
        "integrity": integrity,
        "license": "0BSD",
        "files": [{"member": m, "name": Path(m).name} for m in members],
    }
    (directory / LOCK_NAME).write_text(json.dumps({"packages": [package]}))


TARBALL = _tgz(
    {"package/dist/lib.min.js": b"lib();", "package/LICENSE": b"0BSD", "package/x.js": b"no"}
)


def test_vendor_takes_exactly_the_named_files(tmp_path: Path) -> None:
    _lock(tmp_path, "1.0.0", _integrity(TARBALL), ["package/dist/lib.min.js", "package/LICENSE"])
    vendor(tmp_path, {tarball_url("demo-lib", "1.0.0"): TARBALL}.__getitem__)
    assert {p.name for p in tmp_path.iterdir()} == {"LICENSE", LOCK_NAME, "lib.min.js"}
    assert (tmp_path / "lib.min.js").read_bytes() == b"lib();"
    assert check(tmp_path) == []


def test_vendor_refuses_a_tarball_that_differs_from_the_integrity(tmp_path: Path) -> None:
    _lock(tmp_path, "1.0.0", _integrity(TARBALL), ["package/dist/lib.min.js"])
    other = _tgz({"package/dist/lib.min.js": b"evil();"})
    with pytest.raises(VendorError, match="integrity mismatch"):
        vendor(tmp_path, {tarball_url("demo-lib", "1.0.0"): other}.__getitem__)
    assert not (tmp_path / "lib.min.js").exists()


def test_vendor_names_a_member_the_tarball_lacks(tmp_path: Path) -> None:
    _lock(tmp_path, "1.0.0", _integrity(TARBALL), ["package/dist/lib.js"])
    with pytest.raises(VendorError, match=r"package/dist/lib\.js is not in the tarball"):
        vendor(tmp_path, {tarball_url("demo-lib", "1.0.0"): TARBALL}.__getitem__)


def test_an_edited_version_is_pinned_from_the_registry(tmp_path: Path) -> None:
    _lock(tmp_path, "1.1.0", "", ["package/dist/lib.min.js"])
    url = tarball_url("demo-lib", "1.1.0")
    meta = {"license": "0BSD", "dist": {"tarball": url, "integrity": _integrity(TARBALL)}}
    served = {f"{REGISTRY}/demo-lib/1.1.0": json.dumps(meta).encode(), url: TARBALL}
    changes = vendor(tmp_path, served.__getitem__)
    assert changes[0].startswith("demo-lib@1.1.0: pinned sha512-")
    (package,) = load_lock(tmp_path / LOCK_NAME)
    assert (package.tarball, package.integrity) == (url, _integrity(TARBALL))
    assert package.files[0].sha256 == hashlib.sha256(b"lib();").hexdigest()


def test_a_licence_change_on_update_is_refused(tmp_path: Path) -> None:
    _lock(tmp_path, "2.0.0", "", ["package/dist/lib.min.js"])
    url = tarball_url("demo-lib", "2.0.0")
    meta = {"license": "GPL-3.0", "dist": {"tarball": url, "integrity": _integrity(TARBALL)}}
    served = {f"{REGISTRY}/demo-lib/2.0.0": json.dumps(meta).encode(), url: TARBALL}
    with pytest.raises(VendorError, match=r"licence GPL-3\.0, the lock 0BSD"):
        vendor(tmp_path, served.__getitem__)


def test_only_the_npm_registry_is_downloaded_from() -> None:
    with pytest.raises(VendorError, match="refusing to download"):
        http_fetch("http://127.0.0.1:9/htmx.org-2.0.11.tgz")


def test_two_files_with_one_name_are_refused(tmp_path: Path) -> None:
    _lock(tmp_path, "1.0.0", "", ["package/LICENSE", "package/dist/LICENSE"])
    with pytest.raises(VendorError, match="two files have the same 'name'"):
        load_lock(tmp_path / LOCK_NAME)
