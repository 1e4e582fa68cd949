"""Which file the review app may send as a paper's PDF: only one inside the PDF cache.

``pdfs.path`` is a row in the warehouse, and the warehouse is writable by every paramtrack
process and by anyone who can write the file: one ``UPDATE pdfs SET path = '/etc/shadow'`` must
not turn the PDF link into a way to read the server's files. So the stored path is only a hint:
the file served is the one it names *inside* the cache folder, after symbolic links are resolved
(a link in the cache pointing elsewhere is refused too), and it must be a regular file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["cached_pdf_file"]


def cached_pdf_file(stored: str, cache_dir: Path) -> Path | None:
    """The regular file inside ``cache_dir`` that ``stored`` (as ``pdfs.path`` holds it) names,
    or None. A relative path written by a run in another working directory is looked up by its
    name in the cache's layout (``<cache>/ab/<sha256>.pdf``) and directly under the cache."""
    root = cache_dir.expanduser().resolve()
    given = Path(stored)
    tries = [given] if given.is_absolute() else [Path.cwd() / given]
    tries += [root / given.name[:2] / given.name, root / given.name]
    for path in tries:
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, unreadable, a symlink loop
            continue
        if real.is_relative_to(root) and real.is_file():
            return real
    return None
