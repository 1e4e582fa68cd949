"""The public Python surface: what ``__all__`` promises exists, and importing costs nothing.

``paramtrack``'s own names are the analyst's API (``paramtrack.api``); every package and module
that declares ``__all__`` must export exactly names it has. Importing ``paramtrack``, its kernel,
``paramtrack.flows`` or ``paramtrack.sources`` must neither pull in the heavy libraries nor touch
logging: a notebook that only wants the dataset should not pay for Prefect or arXiv's client.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import pkgutil
import subprocess
import sys

import pytest

import paramtrack

API = ["__version__", "curated_models", "extract_pdf", "fit_trends", "gap_table", "query", "review_queue"]


def test_the_analysts_api_is_exactly_these_names() -> None:
    assert sorted(paramtrack.__all__) == sorted(API)
    for name in API:
        assert getattr(paramtrack, name) is not None
    from paramtrack import api

    assert sorted(api.__all__) == sorted(n for n in API if n != "__version__")
    assert paramtrack.curated_models is api.curated_models


def test_the_version_is_the_one_the_package_was_installed_with() -> None:
    assert paramtrack.__version__ == importlib.metadata.version("paramtrack")


#: The packages of the one namespace (each kept in its own top-level folder of the repository).
PACKAGES = (
    "paramtrack",
    "paramtrack.core",
    "paramtrack.commands",
    "paramtrack.discovery",
    "paramtrack.extractors",
    "paramtrack.flows",
    "paramtrack.replay",
    "paramtrack.reporting",
    "paramtrack.review_queue",
    "paramtrack.sources",
    "paramtrack.trends",
    "paramtrack.warehouse",
)


def _walk(package: str) -> list[pkgutil.ModuleInfo]:
    path = importlib.util.find_spec(package).submodule_search_locations  # type: ignore[union-attr]
    return [pkgutil.ModuleInfo(None, package, True), *pkgutil.iter_modules(path, package + ".")]  # type: ignore[arg-type]


def _modules_with_all() -> list[str]:
    """Every installed paramtrack module whose source declares ``__all__`` (read, not imported)."""
    names = []
    for info in (i for pkg in PACKAGES for i in _walk(pkg)):
        spec = importlib.util.find_spec(info.name)
        if spec and spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, encoding="utf-8") as fh:
                if "\n__all__" in fh.read():
                    names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules_with_all())
def test_every_name_in_a_modules_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(set(exported)) == len(exported), "a name listed twice"
    assert [n for n in exported if not hasattr(module, n)] == []


def _imported_after(statement: str) -> tuple[set[str], int]:
    """The modules a fresh interpreter has loaded, and the handlers on the ``paramtrack`` logger,
    after ``statement``."""
    code = (
        "import logging, sys\n"
        f"{statement}\n"
        "print(','.join(sorted(sys.modules)))\n"
        "print(len(logging.getLogger('paramtrack').handlers))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    return set(out[0].split(",")), int(out[1])


HEAVY = {"prefect", "duckdb", "pandas", "arxiv", "requests", "httpx", "lxml", "spacy", "pypdfium2", "matplotlib"}


@pytest.mark.parametrize(
    "statement",
    [
        "import paramtrack",
        "import paramtrack.core.settings",
        "import paramtrack.extractors",
        "import paramtrack.flows",
        "import paramtrack.sources",
    ],
)
def test_importing_a_package_pulls_in_no_heavy_library_and_touches_no_logging(statement: str) -> None:
    loaded, handlers = _imported_after(statement)
    assert sorted(HEAVY & {m.split(".")[0] for m in loaded}) == []
    assert handlers == 0


def test_the_review_server_starts_without_the_extraction_and_analysis_libraries() -> None:
    """Each review-server start (and each test that starts one) pays only for what serving needs."""
    loaded, _ = _imported_after("import paramtrack.review_queue.app")
    assert sorted({"pandas", "spacy", "pypdfium2", "prefect", "matplotlib"} & {m.split(".")[0] for m in loaded}) == []
