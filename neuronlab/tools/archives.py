"""Unpacking a downloaded tar archive safely, and npm packages fetched that way.

``tarfile``'s ``filter="data"`` argument only exists from Python 3.11.4 (Debian 12
ships 3.11.2), so the course checks members itself: a regular file or folder whose
path stays inside the target folder is unpacked; anything else — an absolute path,
``..`` that climbs out, a symbolic or hard link, a device, a FIFO — is refused before
anything is written.  Modes are kept to the owner's read/write (and execute, where
the archive had it); owners and times from the archive are ignored.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

__all__ = ["UnsafeArchiveError", "safe_extract", "npm_package"]


class UnsafeArchiveError(ValueError):
    """A tar archive holds a member that could write outside its folder or is not a plain file."""


def _checked_path(member: tarfile.TarInfo, target: Path) -> Path:
    name = PurePosixPath(member.name)
    if name.is_absolute() or member.name.startswith(("/", "\\")) or ":" in name.parts[0]:
        raise UnsafeArchiveError(f"member {member.name!r} has an absolute path")
    destination = (target / Path(*name.parts)).resolve()
    if destination != target and target not in destination.parents:
        raise UnsafeArchiveError(f"member {member.name!r} would be written outside {target}")
    return destination


def safe_extract(archive: str | os.PathLike, target: str | os.PathLike) -> list[Path]:
    """Unpack the tar archive ``archive`` (any compression) into the folder ``target``.

    Parameters
    ----------
    archive : path of a ``.tar``, ``.tgz``, ``.tar.gz``, ``.tar.bz2`` or ``.tar.xz`` file
    target : path of the folder to unpack into (created if missing)

    Returns
    -------
    list of Path
        The files written, in archive order.

    Raises
    ------
    UnsafeArchiveError
        Before writing anything, when a member is a link, a device or a FIFO, or
        its path is absolute or leaves ``target``.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    target = target.resolve()
    written = []
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        plan = []
        for member in members:
            if not (member.isfile() or member.isdir()):
                kind = ("a symbolic link" if member.issym() else "a hard link" if member.islnk()
                        else "a FIFO" if member.isfifo() else "a device" if member.isdev()
                        else "not a regular file")
                raise UnsafeArchiveError(f"member {member.name!r} is {kind}; only files and folders "
                                         "are unpacked")
            plan.append((member, _checked_path(member, target)))
        for member, destination in plan:
            if member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            with source, open(destination, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            os.chmod(destination, 0o755 if member.mode & 0o111 else 0o644)
            written.append(destination)
    return written


def npm_package(name: str, version: str, root: str | os.PathLike, *, npm: str | None = None) -> Path:
    """The npm package ``name@version`` unpacked under ``root``, fetched with ``npm pack`` when missing.

    ``npm pack`` takes just the package's own files (the built scripts and fonts the site
    and its tests use), none of its dependencies.  The folder is complete or absent: the
    package is unpacked beside it and renamed into place, so two runs at once are safe.

    Parameters
    ----------
    name, version : the package and its exact version, e.g. ``"mathjax"``, ``"3.2.2"``
    root : folder of the unpacked packages (a cache)
    npm : path of the npm client; by default the one on ``PATH``

    Raises
    ------
    RuntimeError
        When npm is missing or ``npm pack`` fails, with npm's message.
    """
    root = Path(root)
    folder = root / f"{name.replace('/', '__')}@{version}"
    if (folder / ".complete").exists():
        return folder
    npm = npm or shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Debian: apt-get install npm)")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as scratch:
        result = subprocess.run([npm, "pack", f"{name}@{version}", "--json", "--pack-destination", scratch],
                                capture_output=True, text=True, timeout=600, cwd=scratch)
        if result.returncode != 0:
            raise RuntimeError(f"`npm pack {name}@{version}` failed: {result.stderr.strip()[-2000:]}")
        tarball = Path(scratch) / json.loads(result.stdout)[0]["filename"]
        unpacked = Path(scratch) / "unpacked"
        safe_extract(tarball, unpacked)
        (unpacked / "package" / ".complete").write_text(f"{name}@{version}\n")
        try:
            (unpacked / "package").rename(folder)
        except OSError:  # another run got there first
            if not (folder / ".complete").exists():
                raise
    return folder
