"""Files the operator writes: atomically and owner-only.

Every file is written to a temporary file in its own directory (created
``0600``, never readable by other users), flushed with ``fsync``, then renamed
over the target with ``os.replace``, and the directory is synced so the rename
itself survives a crash. A reader therefore sees the old file or the new one,
never a mix. On any failure (a full disk, a read-only directory, permissions)
the temporary file is removed and one :class:`FileWriteError` names the file
and the cause; the target is untouched. Only a process killed between writing
and renaming leaves its temporary file (``.NAME.PID.tmp``);
:func:`remove_stale_temporaries` removes those of processes that are gone.

Directories the operator creates are ``0700``.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from rollup.errors import StorageEnvironmentError
from rollup.fault_injection import write_point

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
_TEMPORARY = re.compile(r"\..+\.(\d+)\.tmp")

_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space and run the command again",
    errno.EDQUOT: "the disk quota is exhausted: free some space and run the command again",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied: check the owner and mode of the directory",
    errno.EPERM: "permission denied: check the owner and mode of the directory",
}


class FileWriteError(StorageEnvironmentError):
    """A file could not be written (its previous content, if any, is unchanged)."""


def describe_os_error(exc: OSError) -> str:
    """The cause of an OSError as advice an operator can act on."""
    advice = _ADVICE.get(exc.errno) if exc.errno is not None else None
    return advice or exc.strerror or str(exc)


def make_private_directory(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; FileWriteError if that is impossible."""
    try:
        path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise FileWriteError(f"cannot create the directory {path}: {describe_os_error(exc)}") from exc


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically, owner-only (see the module docstring)."""
    if path.parent != Path():
        make_private_directory(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        write_point(f"replace {path}", lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
        os.replace(tmp, path)
        _sync_directory(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileWriteError(f"cannot write {path}: {describe_os_error(exc)}") from exc
    except BaseException:  # interrupted (Ctrl-C): the target is untouched, and no temporary is left either
        tmp.unlink(missing_ok=True)
        raise


def remove_file(path: Path) -> None:
    """Delete ``path`` if it exists, durably (the directory is synced); FileWriteError if that is impossible."""
    if not path.exists():
        return
    try:
        write_point(f"remove {path}", lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
        path.unlink(missing_ok=True)
        _sync_directory(path.parent)
    except OSError as exc:
        raise FileWriteError(f"cannot remove {path}: {describe_os_error(exc)}") from exc


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove the temporary files in ``directory`` that :func:`write_atomic` calls of processes that no
    longer run left behind (killed between writing and renaming); returns them."""
    removed = []
    for path in sorted(directory.glob(".*.tmp")) if directory.is_dir() else ():
        match = _TEMPORARY.fullmatch(path.name)
        if match and not _process_exists(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, as another user's process
        return True
    return True


def _sync_directory(directory: Path) -> None:
    """fsync a directory so a rename in it is durable."""
    descriptor = os.open(directory if directory != Path() else Path("."), os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
