"""PDF copies of the reports, printed by headless Chromium from the HTML files.

Many organisations send each manager a PDF. The HTML reports carry a print stylesheet (page
margins, no sticky headers, rows kept whole, colours printed exactly), so printing them with the
browser gives the same page a manager sees on screen. Chromium is found as ``$ONEONONE_CHROMIUM``,
else ``chromium``, ``chromium-browser``, ``google-chrome`` or ``google-chrome-stable`` on the
``PATH`` (Debian: ``apt-get install chromium``). Nothing reaches the network: the reports have no
external assets, and the browser runs with its background networking off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from toolkit._io import atomic_write
from toolkit.errors import InputError

__all__ = ["find_chromium", "write_pdfs"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless",
    "--no-sandbox",  # a container's root user; the pages are our own files
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
    "--print-to-pdf-no-header",
)


def find_chromium() -> Path | None:
    """The Chromium binary to print with, or ``None`` when there is none."""
    given = os.environ.get("ONEONONE_CHROMIUM")
    if given:
        return Path(given) if Path(given).is_file() else None
    for name in _NAMES:
        hit = shutil.which(name)
        if hit:
            return Path(hit)
    return None


def require_chromium() -> Path:
    """:func:`find_chromium`, or an :class:`~toolkit.errors.InputError` that says how to get it."""
    found = find_chromium()
    if found is None:
        raise InputError(
            "--pdf prints the reports with headless Chromium, and none was found: install it "
            "(Debian: apt-get install chromium) or set ONEONONE_CHROMIUM to the browser's path"
        )
    return found


def write_pdfs(
    pages: Iterable[str | Path],
    *,
    chromium: str | Path | None = None,
    jobs: int | None = None,
    timeout: float = 120.0,
) -> list[Path]:
    """Print each HTML file of ``pages`` to a PDF beside it (``t01.html`` -> ``t01.pdf``).

    Parameters
    ----------
    pages : iterable of str or Path
        The HTML files.
    chromium : str or Path, optional
        The browser (default: :func:`find_chromium`).
    jobs : int, optional
        Browsers printing at once (default: the machine's cores).
    timeout : float, default 120
        Seconds one page may take.

    Returns
    -------
    list of Path
        The PDFs, in the order of ``pages``. Each is written atomically.

    Raises
    ------
    InputError
        When there is no Chromium, or when it fails on a page (naming the page).
    """
    browser = Path(chromium) if chromium is not None else require_chromium()
    pages = [Path(p) for p in pages]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(pages) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: _print(browser, p, timeout), pages))


def _print(browser: Path, page: Path, timeout: float) -> Path:
    target = page.with_suffix(".pdf")

    def write(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="oneonone-chromium-") as profile:
            args = [
                str(browser),
                *_FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={tmp}",
                page.resolve().as_uri(),
            ]
            try:
                done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise InputError(f"Chromium took over {timeout:.0f} s to print it", path=page) from None
            if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
                tail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
                raise InputError(f"Chromium could not print it to PDF ({tail[0]})", path=page)

    return atomic_write(target, write)
