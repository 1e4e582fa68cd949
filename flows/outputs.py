"""Output folders checked before any work: a bad path is one line, not a traceback at the end.

Light on purpose (no pandas, Prefect or plotting): ``paramtrack export`` checks its folder with
it and answers in about a second.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from paramtrack.core.errors import InputError


def prepare_output_dir(path: Path | str, *, label: str, files: Iterable[str] = ()) -> Path:
    """Create the folder ``path`` now and check that ``files`` can be written into it.

    Called before any fitting (and by the CLI before Prefect starts), so a path that is a file,
    sits under a file, or is not writable is one clear line instead of a traceback after the
    results were already replaced.
    """
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"{label} {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{label} {out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"{label} {out}: the folder is not writable")
    for name in files:
        target = out / name
        if target.is_dir():
            raise InputError(f"{label} {out}: {name} is a folder, but a file is written there")
        if target.exists() and not os.access(target, os.W_OK):
            raise InputError(f"{label} {out}: {name} exists and is not writable")
    return out
