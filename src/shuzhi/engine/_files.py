"""Writing results into place atomically, shared by every engine: write to a hidden partial name
beside the target, flush it to disk, then rename it over (or next to) the target."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from shuzhi.engine._base import as_path
from shuzhi.errors import Conflict

__all__ = ["fsync", "fsync_tree", "move_into_place", "partial_target", "remove"]


def partial_target(path: str | os.PathLike[str], *, overwrite: bool) -> tuple[Path, Path]:
    """The absolute target and a fresh partial name beside it; refuses an existing target unless
    ``overwrite``, and creates the target's folder."""
    target = as_path(path).absolute()
    if target.exists() and not overwrite:
        raise Conflict(f"文件已存在 / already exists: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target, target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.partial")


def fsync(path: Path) -> None:
    """Flush a file's or folder's entry to disk (best effort where the OS does not allow it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for f in files:
                fsync(Path(root) / f)
            fsync(Path(root))
    else:
        fsync(path)


def move_into_place(tmp: Path, target: Path, *, overwrite: bool) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    if not overwrite:  # appeared while we were writing
        raise Conflict(f"文件已存在 / already exists: {target}")
    if tmp.is_file() and target.is_file():
        os.replace(tmp, target)  # atomic: readers see the old file or the new one
        return
    # folders cannot be swapped atomically: move the old one aside, the new one in, then delete
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.old")
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)
        raise
    remove(old)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
