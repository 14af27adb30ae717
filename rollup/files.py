"""Owner-only files: written atomically, and read only while no one else may access them.

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

A key file is created once with :func:`create_owner_only_file` (never over an
existing one). A file holding a secret (a wallet's key or state, the sequencer's
key) is read with :func:`read_owner_only_text`, which refuses it when the group or others
hold any permission on it (``mode & 0o077 != 0``): such a file may have leaked.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from rollup.errors import RollupError, StorageEnvironmentError
from rollup.fault_injection import write_point

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
FOREIGN_ACCESS: int = stat.S_IRWXG | stat.S_IRWXO
"""The permission bits (0o077) an owner-only file must not have."""
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


def create_owner_only_file(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, a new file of mode ``FILE_MODE``, flushed and synced to disk.

    Created with ``O_CREAT | O_EXCL``: FileExistsError when ``path`` exists, which is never overwritten (a key
    must not be replaced by another); any other OSError as it comes.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # the umask may have removed bits, never add any
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def read_owner_only_text(path: Path, what: str, error: type[RollupError]) -> str:
    """The UTF-8 text of ``path``, ``what`` (e.g. "a key file") that only its owner may access.

    Raises ``error`` with one line naming the file when its mode has a bit of :data:`FOREIGN_ACCESS` (checked
    on the opened file, so the file read is the file checked) or when it cannot be read or decoded; a missing
    file raises FileNotFoundError, which each caller reads its own way.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            if mode & FOREIGN_ACCESS:
                raise error(
                    f"{path} has permissions {mode:04o}: {what} must be readable only by its owner (chmod 0600 {path})"
                )
            return handle.read()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {exc}") from exc


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
