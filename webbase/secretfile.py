"""Write secrets (signing keys, session secrets) so no other user can ever read them.

The file is created with mode 0600 from its first byte (``os.open`` with the mode, never chmod after
the fact), and an existing secret is never overwritten by accident: losing an issuer's key orphans
every credential it signed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_MODE = 0o600


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def write_secret_file(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600.

    Without ``overwrite`` the file is created with ``O_EXCL`` and an existing file raises
    ``FileExistsError`` naming the path. With ``overwrite`` the data goes to a fresh 0600 file in the
    same directory that then replaces the old one atomically, so a crash never leaves half a key.
    """
    target = Path(path)
    if not overwrite:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
        except FileExistsError:
            raise FileExistsError(
                f"{target} already exists; refusing to overwrite a secret file (remove it first if you mean to replace it)"
            ) from None
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        return
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
