"""Atomic, durable file writes: a reader never sees a half-written file, a crash never a lost one.

:func:`atomic_write` writes a temporary file beside the target, flushes it to disk (``fsync``),
renames it into place and flushes the folder, so that after a crash the target holds either its
old content or the complete new one.

Files of the wave store are private (``private=True``): created ``0600`` in folders created
``0700`` (:func:`private_folder`), so that nobody else on the machine can read them whatever the
umask. A store folder that is deliberately shared with a group (its set-group-ID bit is set, as
``chmod g+s`` marks a shared folder) gives its group the group bits it has itself (``0660`` files,
``2770`` folders at most); the world never gets any. Other outputs (reports, releases) follow the
umask.

:func:`read_table` reads the small tables (roster, units, teams) given as a DataFrame or a CSV
file, checking their columns once; :func:`md_table` formats the Markdown tables of the written
reports.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError

__all__ = ["atomic_write", "atomic_write_text", "md_table", "private_folder", "private_modes", "read_table"]


def private_modes(folder: str | Path) -> tuple[int, int]:
    """The modes of files and of subfolders created privately inside ``folder``.

    ``(0o600, 0o700)``, unless the nearest existing folder on the path is a group-shared folder
    (set-group-ID bit set): then its group's read and write (and, for folders, search) bits are
    added, and folders keep the set-group-ID bit. The world never gets any bit.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     os.chmod(tmp, 0o755)
    ...     plain = private_modes(tmp)
    ...     os.chmod(tmp, 0o2770)
    ...     shared = private_modes(Path(tmp) / "store")
    >>> [oct(m) for m in plain], [oct(m) for m in shared]
    (['0o600', '0o700'], ['0o660', '0o2770'])
    """
    here = Path(folder)
    while not here.exists() and here != here.parent:
        here = here.parent
    try:
        mode = here.stat().st_mode
    except OSError:
        return 0o600, 0o700
    if not stat.S_ISDIR(mode) or not mode & stat.S_ISGID:
        return 0o600, 0o700
    group = mode & 0o070
    return 0o600 | (group & 0o060), 0o700 | group | stat.S_ISGID


def private_folder(path: str | Path) -> Path:
    """Create ``path`` and any missing parents as private folders (see :func:`private_modes`).

    Folders that exist already are left as they are.
    """
    path = Path(path)
    missing = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        _, mode = private_modes(folder.parent)
        try:
            # a folder made inside a set-group-ID folder inherits the bit (and the group)
            folder.mkdir(mode=mode & 0o777)
        except FileExistsError:
            continue
    return path


def atomic_write(path: str | Path, write: Callable[[Path], object], *, private: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, flush it to disk, rename it into place.

    The rename is atomic on POSIX and Windows, so ``path`` holds either its old content or the
    complete new one; the temporary file is ``fsync``-ed before the rename and the folder after
    it, so that a crash right after the call does not lose the new content. The temporary file
    is removed when ``write`` fails.

    Parameters
    ----------
    path : str or Path
        The file to write; missing folders are created.
    write : callable
        Writes the content into the path it is given.
    private : bool, default False
        A file of the wave store: created ``0600`` (or the shared group's, see
        :func:`private_modes`) in folders created ``0700``. Otherwise the file follows the
        umask, like any file a program creates.
    """
    path = Path(path)
    if private:
        private_folder(path.parent)
        mode = private_modes(path.parent)[0]
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o666  # like open(): the umask applies (mkstemp's files would be 0o600)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise FileExistsError(f"cannot create a temporary file beside {path}")
    try:
        write(Path(tmp))
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str, *, private: bool = False) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), private=private)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Flush the folder's entries (the rename) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that do not flush folders
        pass
    finally:
        os.close(fd)


def read_table(
    table: pd.DataFrame | str | Path, *, what: str, required: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A small table given as a DataFrame or a CSV file (read as text), its columns checked.

    Raises :class:`toolkit.InputError` naming the file (and the column) when the file is
    missing or unreadable or a ``required`` column is absent.

    Examples
    --------
    >>> read_table("data/sample/units.csv", what="units", required=("unit", "parent", "kind")).shape[1]
    3
    >>> read_table("data/sample/units.csv", what="units", required=("team",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.InputError: data/sample/units.csv, column 'team': the units table needs a 'team' ...
    """
    path = None
    if isinstance(table, str | Path):
        path = Path(table)
        if not path.is_file():
            raise InputError(f"{what} file not found", path=path)
        try:
            table = pd.read_csv(path, dtype="str", encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"not a readable CSV {what} table: {exc}", path=path) from None
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame or the path of a CSV file, got {type(table).__name__}")
    for column in required:
        if column not in table.columns:
            raise InputError(
                f"the {what} table needs a {column!r} column; it has {', '.join(map(str, table.columns))}",
                path=path,
                column=column,
            )
    return table


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table as a list of lines; ``|`` in cells is escaped.

    >>> md_table(["a", "b"], [[1, "x|y"]])
    ['| a | b |', '|---|---|', '| 1 | x\\\\|y |']
    """
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")
