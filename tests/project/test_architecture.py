"""The house plan is enforced, not just drawn: import-linter's contracts in pyproject.toml, run
against the package the wheel really installs, and one namespace that leaves users' own
``flows/`` (the usual layout of a Prefect project) alone."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]  # tests/project/ -> the checkout
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _tool():
    spec = importlib.util.spec_from_file_location("installed_tree", REPO / "tools" / "installed_tree.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """paramtrack's wheel, built from this checkout and installed into a plain directory."""
    return _tool().install_tree(tmp_path_factory.mktemp("site") / "site-packages")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(REPO / "pyproject.toml")],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_wheel_installs_one_top_level_package(installed):
    (top_level,) = installed.glob("paramtrack-*.dist-info/top_level.txt")
    assert top_level.read_text().split() == ["paramtrack"]
    assert sorted(p.name for p in installed.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")) in (
        ["paramtrack"],
        ["bin", "paramtrack"],
    )
    for folder in ("flows", "extractors", "warehouse", "review_queue", "trends", "sources", "replay"):
        assert (installed / "paramtrack" / folder / "__init__.py").is_file(), folder
    assert list((installed / "paramtrack" / "warehouse" / "schema").glob("0001_*.sql"))


def test_dependencies_point_one_way_and_only_the_warehouse_speaks_sql(installed):
    result = _lint_imports(installed)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
    assert "0 broken" in result.stdout


def test_a_forbidden_import_breaks_the_contracts(installed, tmp_path):
    """The contracts bite: a warehouse module that reaches up into the CLI, and an extractor that
    opens a database, are each reported by name."""
    tree = tmp_path / "site-packages"
    shutil.copytree(installed, tree)
    with open(tree / "paramtrack" / "warehouse" / "connection.py", "a", encoding="utf-8") as f:
        f.write("\nfrom paramtrack import cli  # noqa: E402,F401\n")
    with open(tree / "paramtrack" / "extractors" / "patterns.py", "a", encoding="utf-8") as f:
        f.write("\nimport duckdb  # noqa: E402,F401\n")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "Dependencies point one way (README: house plan) BROKEN" in result.stdout
    assert "Extractors are pure: no network, no database, no orchestration BROKEN" in result.stdout
    assert "paramtrack.warehouse.connection -> paramtrack.cli" in result.stdout


@pytest.mark.slow
def test_a_users_own_flows_package_is_not_shadowed(installed, tmp_path):
    """From a Prefect project's directory with its own ``flows/``, ``import flows`` is the user's
    and paramtrack's flows stay reachable under ``paramtrack.flows``."""
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "flows" / "__init__.py").write_text("OWNER = 'user'\n")
    (project / "flows" / "discover.py").write_text("def discover_flow():\n    return 'user flow'\n")
    script = (
        "import flows, paramtrack.flows.schedule as ours\n"
        "from flows.discover import discover_flow\n"
        f"print(flows.OWNER, discover_flow(), ours.__name__, ours.__file__.startswith({str(installed)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed), "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["user", "user", "flow", "paramtrack.flows.schedule", "True"]


@pytest.mark.slow
def test_the_installed_wheel_runs_the_demo_from_a_prefect_project(installed, corpus_dir, tmp_path):
    """The whole product from the wheel's files (not this checkout), in a directory that holds
    its own ``flows/``: ``paramtrack demo`` completes and stages candidates."""
    import duckdb

    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "flows" / "__init__.py").write_text("OWNER = 'user'\n")
    run = (
        "import sys, flows, paramtrack.cli as cli\n"
        "assert flows.OWNER == 'user' and cli.__file__.startswith(sys.argv[1]), (flows, cli.__file__)\n"
        "sys.argv = ['paramtrack', 'demo', '--quiet']\n"
        "cli.main()\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(installed),  # first on the path: the wheel's paramtrack, not the editable one
        "PARAMTRACK_CORPUS": str(corpus_dir),
    }
    result = subprocess.run(
        [sys.executable, "-c", run, str(installed)], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "completed in" in result.stdout
    with duckdb.connect(str(project / "data" / "paramtrack.duckdb"), read_only=True) as con:
        (queued,) = con.execute("SELECT count(*) FROM review_queue").fetchone()
    assert queued > 0
