"""Vendor the console's JavaScript from the npm registry, pinned by a lock file.

Issue #12: the console has no build chain and loads nothing from a CDN, so each
JavaScript file it serves is taken from a package tarball on the npm registry.
The lock (operator/appdeploy/console/static/vendor/vendor.lock.json) pins the
version, the tarball, the registry's sha512 `integrity` and the sha256 of every
file taken, so the committed files can be checked offline (`--check`) and
re-made byte for byte (`make vendor`).

To update a package, edit its `version` in the lock and run `make vendor`: the
lock's tarball then no longer matches the version, so the new tarball and its
integrity are read from the registry and written back, with the new files'
sha256, for review in the diff. Otherwise the pinned integrity is authoritative
and a tarball that differs from it is refused. A new package is added the same
way: an entry with name, version, license and files (member, name), the rest
left empty.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(__file__).resolve().parent.parent / "operator/appdeploy/console/static/vendor"
LOCK_NAME = "vendor.lock.json"

Fetch = Callable[[str], bytes]


class VendorError(Exception):
    """The lock, a tarball or a vendored file is not what it must be."""


@dataclass
class VendoredFile:
    member: str  # path inside the tarball, e.g. package/dist/htmx.min.js
    name: str  # file name in the vendor directory
    sha256: str


@dataclass
class Package:
    name: str
    version: str
    tarball: str
    integrity: str
    license: str
    files: list[VendoredFile]

    def pinned(self) -> bool:
        """Whether tarball and integrity were recorded for this version (not a new one)."""
        return bool(self.integrity) and self.tarball == tarball_url(self.name, self.version)


def tarball_url(name: str, version: str) -> str:
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def _field(entry: dict[str, Any], key: str, where: str, *, pin: bool = False) -> str:
    """A string field; a pin (tarball, integrity, sha256) may be empty until make vendor."""
    value = entry.get(key, "" if pin else None)
    if not isinstance(value, str) or not (value or pin):
        raise VendorError(f"{where}: field {key!r} must be a non-empty string")
    return value


def _file(entry: dict[str, Any], where: str) -> VendoredFile:
    name = _field(entry, "name", where)
    if "/" in name or "\\" in name or name.startswith("."):
        raise VendorError(f"{where}: field 'name' must be a plain file name, got {name!r}")
    sha = _field(entry, "sha256", where, pin=True)
    return VendoredFile(_field(entry, "member", where), name, sha)


def load_lock(path: Path) -> list[Package]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VendorError(f"{path}: cannot read the lock: {exc}") from exc
    packages = []
    for i, entry in enumerate(data.get("packages", [])):
        where = f"{path.name}: packages[{i}]"
        files = [_file(f, f"{where}.files[{j}]") for j, f in enumerate(entry.get("files", []))]
        if not files:
            raise VendorError(f"{where}: field 'files' must list at least one file")
        packages.append(
            Package(
                name=_field(entry, "name", where),
                version=_field(entry, "version", where),
                tarball=_field(entry, "tarball", where, pin=True),
                integrity=_field(entry, "integrity", where, pin=True),
                license=_field(entry, "license", where),
                files=files,
            )
        )
    if not packages:
        raise VendorError(f"{path}: field 'packages' must list at least one package")
    names = [f.name for p in packages for f in p.files]
    if len(set(names)) != len(names):
        raise VendorError(f"{path}: two files have the same 'name': {sorted(names)}")
    return packages


def write_lock(path: Path, packages: list[Package]) -> None:
    data = {
        "about": "Written by tools/vendor_js.py (make vendor); edit only a version to update.",
        "packages": [
            {
                "name": p.name,
                "version": p.version,
                "tarball": p.tarball,
                "integrity": p.integrity,
                "license": p.license,
                "files": [
                    {"member": f.member, "name": f.name, "sha256": f.sha256} for f in p.files
                ],
            }
            for p in packages
        ],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_integrity(data: bytes, integrity: str, what: str) -> None:
    """Refuse data whose sha512 differs from an npm `integrity` (subresource integrity) value."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or not expected:
        raise VendorError(f"{what}: integrity must be 'sha512-<base64>', got {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise VendorError(f"{what}: integrity mismatch: lock {integrity}, got sha512-{actual}")


def extract(tarball: bytes, members: list[str], what: str) -> dict[str, bytes]:
    """Read exactly the named regular files from a .tgz; nothing else is unpacked."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member in members:
            try:
                info = tar.getmember(member)
            except KeyError:
                raise VendorError(f"{what}: {member} is not in the tarball") from None
            handle = tar.extractfile(info) if info.isreg() else None
            if handle is None:
                raise VendorError(f"{what}: {member} is not a regular file")
            out[member] = handle.read()
    return out


def check(vendor_dir: Path) -> list[str]:
    """Offline: every file the lock names exists in vendor_dir with the locked sha256."""
    problems = []
    for package in load_lock(vendor_dir / LOCK_NAME):
        what = f"{package.name}@{package.version}"
        if not package.pinned():
            problems.append(f"{what}: the lock pins no tarball for this version: run make vendor")
        for f in package.files:
            path = vendor_dir / f.name
            if not f.sha256:
                problems.append(f"{what}: the lock has no sha256 for {f.name}: run make vendor")
            elif not path.is_file():
                problems.append(f"{what}: {f.name} is missing")
            elif sha256(path.read_bytes()) != f.sha256:
                problems.append(f"{what}: {f.name} differs from the lock's sha256 {f.sha256}")
    return problems


def repin(package: Package, fetch: Fetch) -> None:
    """Read a new version's tarball and integrity from the registry (the version was edited)."""
    what = f"{package.name}@{package.version}"
    try:
        meta = json.loads(fetch(f"{REGISTRY}/{package.name}/{package.version}"))
        dist = meta["dist"]
        tarball, integrity = str(dist["tarball"]), str(dist["integrity"])
    except (ValueError, KeyError, TypeError) as exc:
        raise VendorError(f"{what}: the registry's metadata has no dist: {exc}") from exc
    if tarball != tarball_url(package.name, package.version):
        raise VendorError(f"{what}: unexpected tarball URL {tarball}")
    declared = meta.get("license")
    if isinstance(declared, str) and declared != package.license:
        raise VendorError(
            f"{what}: the registry says licence {declared}, the lock {package.license}: "
            "read the package's LICENSE and correct the lock's 'license'"
        )
    package.tarball, package.integrity = tarball, integrity
    for f in package.files:
        f.sha256 = ""  # recorded from the new tarball below


def vendor(vendor_dir: Path, fetch: Fetch) -> list[str]:
    """Download and verify every locked file, then write them; return what the lock gained.

    Nothing is written unless every package verifies, so a refusal leaves the
    committed files and the lock as they were.
    """
    lock_path = vendor_dir / LOCK_NAME
    packages = load_lock(lock_path)
    changes = []
    files: dict[str, bytes] = {}
    for package in packages:
        what = f"{package.name}@{package.version}"
        if not package.pinned():
            repin(package, fetch)
            changes.append(f"{what}: pinned {package.integrity} (licence {package.license})")
        data = fetch(package.tarball)
        check_integrity(data, package.integrity, what)
        contents = extract(data, [f.member for f in package.files], what)
        for f in package.files:
            digest = sha256(contents[f.member])
            if f.sha256 and f.sha256 != digest:
                raise VendorError(f"{what}: {f.member} has sha256 {digest}, the lock {f.sha256}")
            if not f.sha256:
                f.sha256 = digest
                changes.append(f"{what}: {f.name} sha256 {digest}")
            files[f.name] = contents[f.member]
    for name, content in files.items():
        (vendor_dir / name).write_bytes(content)
    if changes:
        write_lock(lock_path, packages)
    return changes


def http_fetch(url: str) -> bytes:
    if not url.startswith(REGISTRY + "/"):
        raise VendorError(f"refusing to download {url}: only {REGISTRY} is trusted")
    try:
        response = httpx.get(url, timeout=60, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise VendorError(f"{url}: {exc}") from exc
    if response.status_code != 200:
        raise VendorError(f"{url}: HTTP {response.status_code}")
    return response.content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="no network: verify the committed files' sha256 against the lock",
    )
    parser.add_argument("--dir", type=Path, default=VENDOR_DIR, help="the vendor directory")
    args = parser.parse_args(argv)
    try:
        problems = check(args.dir) if args.check else []
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        for change in [] if args.check else vendor(args.dir, http_fetch):
            print(change)
    except VendorError as exc:
        print(f"vendor_js: {exc}", file=sys.stderr)
        return 1
    print(f"vendored files match {args.dir / LOCK_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
