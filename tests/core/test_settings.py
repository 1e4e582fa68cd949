"""Every environment variable paramtrack reads, in one typed class: ``paramtrack.core.settings``.

Read as documentation: what each variable defaults to, what setting it changes, and the one
line a bad value gives (naming the variable and the value, with what to do), the same line the
CLI prints with exit code 2.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paramtrack.core.errors import InputError
from paramtrack.core.settings import (
    RULE_FAMILIES,
    Settings,
    env_name,
    export_setting,
    read_settings,
)

NAMES = [env_name(field) for field in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """None of paramtrack's variables set, whatever the machine running the tests has."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


def test_every_variable_has_a_name_a_type_and_a_reason():
    assert NAMES == [
        "PARAMTRACK_DB",
        "PARAMTRACK_PDF_CACHE",
        "PARAMTRACK_CORPUS",
        "PARAMTRACK_RANKER_MODEL",
        "PARAMTRACK_LOCK_TIMEOUT",
        "PARAMTRACK_FAILURE_LIMIT",
        "PARAMTRACK_EXTRACT_MEMORY_MB",
        "PARAMTRACK_RULES_OFF",
        "PARAMTRACK_CONTACT",
        "PARAMTRACK_NOTIFY_URL",
        "PARAMTRACK_REVIEW_HEADER_TIMEOUT",
        "PARAMTRACK_REVIEW_BODY_TIMEOUT",
        "S2_API_KEY",
        "PREFECT_API_URL",
    ]
    for field, info in Settings.model_fields.items():
        assert info.annotation is not None, field
        assert info.description and info.description.startswith(f"``{env_name(field)}``"), field


def test_the_defaults_work_in_a_fresh_clone():
    s = read_settings()
    assert s.db_path == Path("data/paramtrack.duckdb")
    assert s.data_dir == Path("data")
    assert s.pdf_cache_dir == Path("data/pdfs")  # beside the warehouse
    assert s.ranker_model_path == Path("data/ranker/model.json")
    assert (s.corpus, s.ranker_model, s.contact, s.notify_url, s.s2_api_key, s.prefect_api_url) == (None,) * 6
    assert s.lock_timeout_s == 30.0
    assert s.failure_limit == 2
    assert s.extract_memory_mb == 1536
    assert s.rules_off == frozenset()
    assert (s.review_header_timeout_s, s.review_body_timeout_s) == (10.0, 30.0)


@pytest.mark.parametrize(
    ("name", "raw", "field", "value"),
    [
        ("PARAMTRACK_DB", "elsewhere/w.duckdb", "db_path", Path("elsewhere/w.duckdb")),
        ("PARAMTRACK_PDF_CACHE", "/big/pdfs", "pdf_cache_dir", Path("/big/pdfs")),
        ("PARAMTRACK_CORPUS", "/shared/data", "corpus", Path("/shared/data")),
        ("PARAMTRACK_RANKER_MODEL", "/models/r.json", "ranker_model", Path("/models/r.json")),
        ("PARAMTRACK_LOCK_TIMEOUT", "0", "lock_timeout_s", 0.0),  # fail at once
        ("PARAMTRACK_LOCK_TIMEOUT", "2.5", "lock_timeout_s", 2.5),
        ("PARAMTRACK_FAILURE_LIMIT", "3", "failure_limit", 3),
        ("PARAMTRACK_EXTRACT_MEMORY_MB", "512", "extract_memory_mb", 512),
        ("PARAMTRACK_RULES_OFF", "datasets, hedges", "rules_off", frozenset({"datasets", "hedges"})),
        ("PARAMTRACK_CONTACT", "mailto:me@example.org", "contact", "me@example.org"),
        ("PARAMTRACK_NOTIFY_URL", "https://hooks.example.org/x", "notify_url", "https://hooks.example.org/x"),
        ("PARAMTRACK_REVIEW_HEADER_TIMEOUT", "60", "review_header_timeout_s", 60.0),
        ("PARAMTRACK_REVIEW_BODY_TIMEOUT", "0.5", "review_body_timeout_s", 0.5),
        ("S2_API_KEY", "k-123", "s2_api_key", "k-123"),
        ("PREFECT_API_URL", "http://127.0.0.1:4200/api", "prefect_api_url", "http://127.0.0.1:4200/api"),
    ],
)
def test_each_variable_overrides_its_default(monkeypatch, name, raw, field, value):
    monkeypatch.setenv(name, raw)
    assert getattr(read_settings(), field) == value


def test_pdfs_follow_the_database_unless_the_cache_is_set(monkeypatch):
    monkeypatch.setenv("PARAMTRACK_DB", "/srv/paramtrack/w.duckdb")
    assert read_settings().pdf_cache_dir == Path("/srv/paramtrack/pdfs")


@pytest.mark.parametrize(
    "name", ["PARAMTRACK_DB", "PARAMTRACK_CONTACT", "PARAMTRACK_REVIEW_BODY_TIMEOUT", "S2_API_KEY", "PREFECT_API_URL"]
)
def test_an_empty_path_url_or_key_counts_as_unset(monkeypatch, name):
    monkeypatch.setenv(name, " ")
    assert read_settings() == Settings()


def test_a_flag_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("PARAMTRACK_DB", "from-env.duckdb")
    assert read_settings(db_path=Path("from-flag.duckdb")).db_path == Path("from-flag.duckdb")


def test_a_variable_set_after_a_read_is_seen_by_the_next_read(monkeypatch):
    assert read_settings().lock_timeout_s == 30.0
    monkeypatch.setenv("PARAMTRACK_LOCK_TIMEOUT", "5")
    assert read_settings().lock_timeout_s == 5.0
    monkeypatch.delenv("PARAMTRACK_LOCK_TIMEOUT")
    assert read_settings().lock_timeout_s == 30.0


@pytest.mark.parametrize(
    ("name", "raw", "line"),
    [
        (
            "PARAMTRACK_LOCK_TIMEOUT",
            "abc",
            "PARAMTRACK_LOCK_TIMEOUT must be a number of seconds >= 0, not 'abc' (unset it to use the default of 30 s)",
        ),
        (
            "PARAMTRACK_LOCK_TIMEOUT",
            "nan",
            "PARAMTRACK_LOCK_TIMEOUT must be a number of seconds >= 0, not 'nan' (unset it to use the default of 30 s)",
        ),
        (
            "PARAMTRACK_FAILURE_LIMIT",
            "0",
            "PARAMTRACK_FAILURE_LIMIT must be a whole number >= 1, not '0' (unset it to use the default of 2)",
        ),
        (
            "PARAMTRACK_EXTRACT_MEMORY_MB",
            "100",
            "PARAMTRACK_EXTRACT_MEMORY_MB must be a whole number of MB >= 256, not '100' "
            "(unset it to use the default of 1536 MB)",
        ),
        (
            "PARAMTRACK_REVIEW_BODY_TIMEOUT",
            "soon",
            "PARAMTRACK_REVIEW_BODY_TIMEOUT must be a number of seconds > 0, not 'soon' "
            "(unset it to use the default of 30 s)",
        ),
        (
            "PARAMTRACK_REVIEW_HEADER_TIMEOUT",
            "inf",
            "PARAMTRACK_REVIEW_HEADER_TIMEOUT must be a number of seconds > 0, not 'inf' "
            "(unset it to use the default of 10 s)",
        ),
        (
            "PARAMTRACK_RULES_OFF",
            "datasets,bogus",
            "PARAMTRACK_RULES_OFF: unknown rule families ['bogus']; known: "
            "['comparisons', 'datasets', 'hedges', 'layout_tables', 'moe_papers', 'own_names']",
        ),
        (
            "PARAMTRACK_CONTACT",
            "me at example dot org",
            "PARAMTRACK_CONTACT: contact 'me at example dot org' is not an e-mail address (expected e.g. you@example.org)",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_the_value(monkeypatch, name, raw, line):
    monkeypatch.setenv(name, raw)
    with pytest.raises(InputError) as caught:
        read_settings()
    assert str(caught.value) == line


def test_the_cli_prints_a_bad_variable_as_its_one_error_line(tmp_path, cli):
    result = cli("--db", tmp_path / "w.duckdb", "db", "info", env={"PARAMTRACK_FAILURE_LIMIT": "many"})
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: PARAMTRACK_FAILURE_LIMIT must be a whole number >= 1, not 'many' (unset it to use the default of 2)"
    )


def test_a_value_for_child_processes_is_exported_under_its_declared_name(monkeypatch):
    export_setting("notify_url", "https://hooks.example.org/x")
    assert read_settings().notify_url == "https://hooks.example.org/x"
    export_setting("notify_url", None)
    assert read_settings().notify_url is None


def test_the_rule_families_the_variable_accepts_are_the_extractors_families():
    from paramtrack.extractors.rule_families import FAMILIES

    assert sorted(RULE_FAMILIES) == sorted(FAMILIES)


#: The folders of the one namespace (pyproject.toml's package-dir) that hold library code.
SOURCE_FOLDERS = (
    "paramtrack",
    "flows",
    "extractors",
    "warehouse",
    "review_queue",
    "trends",
    "sources",
    "replay",
    "discovery",
    "reporting",
)


def test_no_other_module_reads_the_environment():
    root = Path(__file__).resolve().parents[2]
    readers = [
        str(path.relative_to(root))
        for folder in SOURCE_FOLDERS
        for path in sorted((root / folder).rglob("*.py"))
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["paramtrack/core/settings.py"]
