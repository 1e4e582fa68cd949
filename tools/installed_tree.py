"""Build paramtrack's wheel and unpack it into a plain directory tree, as ``pip`` would install it.

Why: the repo keeps the design card's folders (``flows/``, ``extractors/``, ...) at its root and
setuptools maps each onto ``paramtrack.<folder>``. Python's import system follows that mapping
(the editable install registers a finder), but static tools do not: import-linter's grimp walks
the ``paramtrack/`` directory on disk and mypy resolves module names from paths. Both therefore
run against the tree the wheel really installs, which is also what users get.

    python tools/installed_tree.py contracts   # lint-imports against the installed tree
    python tools/installed_tree.py types       # mypy against it, paths reported as repo paths
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TREE = REPO / "build" / "installed"


def _uv() -> list[str]:
    """uv as the Makefile installs it (into the system ``python3``), or a ``uv`` on PATH."""
    exe = shutil.which("uv")
    return [exe] if exe else ["python3", "-m", "uv"]


def build_wheel(out_dir: Path) -> Path:
    """Build the wheel from the working tree (not from git): what you check is what you edit."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [*_uv(), "build", "--wheel", "--quiet", "--out-dir", str(out_dir), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheels = sorted(out_dir.glob("paramtrack-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise RuntimeError(f"uv build wrote no wheel into {out_dir}")
    return wheels[-1]


def install_tree(dest: Path = DEFAULT_TREE) -> Path:
    """Install the freshly built wheel, without dependencies, into ``dest`` (replaced)."""
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp))
        if dest.exists():
            shutil.rmtree(dest)
        subprocess.run(
            [*_uv(), "pip", "install", "--quiet", "--no-deps", "--target", str(dest), str(wheel)],
            check=True,
            capture_output=True,
            text=True,
        )
    return dest


def repo_path_for(reported: str, tree: Path) -> str:
    """Map ``paramtrack/flows/discover.py`` (as reported from inside the tree, relative or
    absolute) back to the file you edit, ``flows/discover.py``."""
    rel = reported
    if rel.startswith(str(tree) + os.sep):
        rel = rel[len(str(tree)) + 1 :]
    parts = Path(rel).parts
    if len(parts) < 2 or parts[0] != "paramtrack":
        return reported
    if parts[1] != "core" and (REPO / parts[1] / "__init__.py").is_file():
        return str(Path(*parts[1:]))
    return rel


def _run_with_tree(argv: list[str], tree: Path) -> int:
    """Run a tool from inside the tree: both tools put their working directory first on the
    path, and from the repo root that would be the repo's own, unmapped ``paramtrack/``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True)
    for stream, out in ((result.stdout, sys.stdout), (result.stderr, sys.stderr)):
        for line in stream.splitlines():
            path, sep, rest = line.partition(":")
            out.write((repo_path_for(path, tree) + sep + rest if sep else line) + "\n")
    return result.returncode


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"contracts", "types", "tree"}:
        print("usage: installed_tree.py contracts|types|tree", file=sys.stderr)
        return 2
    tree = install_tree()
    bindir = Path(sys.executable).parent
    if argv[0] == "tree":
        print(tree)
        return 0
    if argv[0] == "contracts":
        return _run_with_tree([str(bindir / "lint-imports"), "--config", str(REPO / "pyproject.toml")], tree)
    return _run_with_tree(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"), "-p", "paramtrack"], tree
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
