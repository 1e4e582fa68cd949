"""Finding digest files on disk, for ``paramtrack status`` and the review app.

Names are checked against the one pattern :func:`reporting.digest.digest_name` produces, so a
name taken from a URL can never reach outside the digest folder (no ``/``, no ``..``).
"""

from __future__ import annotations

import re
from pathlib import Path

DIGEST_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]+-[0-9a-f]{8}\.md$")


def is_digest_name(name: str) -> bool:
    return bool(DIGEST_NAME.fullmatch(name))


def list_digests(folder: Path | None) -> list[Path]:
    """Digest files in ``folder``, newest first (date in the name, then modification time)."""
    if folder is None or not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if is_digest_name(p.name) and p.is_file()]
    return sorted(files, key=lambda p: (p.name[:10], p.stat().st_mtime, p.name), reverse=True)


def digest_path(folder: Path, name: str) -> Path | None:
    """The file for a requested name, or None when the name is not a digest's or is missing."""
    if not is_digest_name(name):
        return None
    path = folder / name
    return path if path.is_file() else None
