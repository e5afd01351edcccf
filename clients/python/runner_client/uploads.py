"""
The files a sweep names, sent to the coordinator's artifact store before the sweep: the same resumable, hash-checked
protocol ``runner submit`` uses (docs/cluster.md). An artifact is named by the SHA-256 of its bytes; the coordinator
keeps whatever part of an upload arrived, says where to resume (``HEAD``: ``Upload-Offset``), and only bytes that hash
to the name become the artifact. An image folder travels as one tar archive of its images.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from ._connection import Connection, error_of
from .errors import RunnerError

#: Called as an upload goes: (what, bytes sent so far, bytes in all).
ProgressCallback = Callable[[str, int, int], None]

PIECE = 1 << 20


def sha256_of(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while piece := f.read(PIECE):
            digest.update(piece)
    return digest.hexdigest()


def folder_archive(folder: str | os.PathLike[str], extensions: Iterable[str]) -> Path:
    """
    The folder's images (files with these extensions, the coordinator's list) as one tar of regular files at their
    relative paths, in name order, with fixed times and owners, so the same files make the same bytes. Kept in the
    user cache under a name made of the files' paths, sizes and times: an interrupted upload finds it again and
    resumes. Given a list of labelled images (a file), its folder's images and the list itself.
    """
    given = Path(folder).resolve()
    root = given.parent if given.is_file() else given
    wanted = tuple(e.lower() for e in extensions)
    files = sorted(
        (p for p in root.rglob("*") if (p.is_file() and not p.is_symlink() and p.suffix.lower() in wanted) or p == given),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    if not files:
        raise RunnerError(f"{root}: no image files ({', '.join(wanted)}) to upload")
    listing = hashlib.sha256(str(root).encode())
    for p in files:
        stat = p.stat()
        listing.update(f"{p}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "runner" / "uploads"
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"python-{listing.hexdigest()[:24]}.tar"
    if archive.exists():
        return archive
    fd, temp = tempfile.mkstemp(dir=cache, suffix=".tmp")
    os.close(fd)
    with tarfile.open(temp, "w", format=tarfile.GNU_FORMAT) as tar:
        for p in files:
            info = tarfile.TarInfo(p.relative_to(root).as_posix())
            info.size = p.stat().st_size
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = 0o644, 0, 0, 0, "", ""
            with open(p, "rb") as content:
                tar.addfile(info, content)
    os.replace(temp, archive)
    return archive


class _Counting:
    """A file read from an offset that reports how far it got (urllib reads a body in blocks)."""

    def __init__(self, f: BinaryIO, done: int, total: int, what: str, progress: ProgressCallback | None) -> None:
        self._f, self.done, self._total, self._what, self._progress = f, done, total, what, progress

    def read(self, size: int = -1) -> bytes:
        piece = self._f.read(PIECE if size is None or size < 0 else min(size, PIECE))
        self.done += len(piece)
        if self._progress and piece:
            self._progress(self._what, self.done, self._total)
        return piece


def upload(connection: Connection, path: Path, sha: str, what: str, progress: ProgressCallback | None = None) -> bool:
    """Sends the file unless the coordinator has it; resumes a part it kept. Returns whether bytes were sent."""
    total = path.stat().st_size
    for _ in range(5):
        offset = _stored(connection, sha)
        if offset is None:
            if progress:
                progress(what, total, total)
            return False
        with open(path, "rb") as f:
            f.seek(offset)
            headers = {
                "Upload-Offset": str(offset),
                "Upload-Length": str(total),
                "Content-Length": str(total - offset),
                "Content-Type": "application/octet-stream",
            }
            response = connection.open("PUT", f"artifacts/{sha}", data=_Counting(f, offset, total, what, progress), headers=headers)  # type: ignore[arg-type]
        with response:
            status, body = response.status, response.read()
        if status in (200, 201):
            return True
        if status == 422:
            raise RunnerError(f"{path}: changed while it was uploaded (its bytes no longer hash to {sha[:12]}…); submit again")
        if status not in (202, 409):
            raise error_of(status, json.loads(body or b"{}"))
    raise RunnerError(f"uploading {what}: the coordinator kept asking to resume; try again")


def _stored(connection: Connection, sha: str) -> int | None:
    """None when the coordinator has the artifact; else the bytes of an unfinished upload it kept."""
    with connection.open("HEAD", f"artifacts/{sha}") as response:
        if response.status == 200:
            return None
        if response.status == 404:
            return int(response.headers.get("Upload-Offset") or 0)
        raise error_of(response.status, {})
