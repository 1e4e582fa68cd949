"""The documentation stays true: every CLI command and option is in the reference, the reference
is what the CLI says today, and the README's links and quick start point at things that exist."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # tests/project/ -> the checkout
DOCS = REPO / "docs"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate_cli_reference", DOCS / "generate_cli_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands():  # type: ignore[no-untyped-def]
    import typer.main

    from paramtrack.cli import app

    root = typer.main.get_command(app)
    return root, list(_generator()._walk(root, []))


def test_the_cli_reference_is_what_the_cli_says_today() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == _generator().render(), (
        "docs/cli.md is out of date: run 'make docs'"
    )


def test_every_command_and_option_is_documented() -> None:
    root, commands = _commands()
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    guides = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md") if p.name != "cli.md")
    assert len(commands) >= 20
    for path, command in commands:
        name = "paramtrack " + " ".join(path)
        assert f"## `{name}`" in reference, name
        section = reference.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if param.name == "help":
                continue
            for opt in [*param.opts, *param.secondary_opts] if param.param_type_name == "option" else []:
                assert f"`{opt}`" in section, f"{name} {opt}"
        # and every command is explained in a guide, not only listed
        assert f"paramtrack {path[0]}" in guides or f"`{path[0]}`" in guides, name
    assert "`--db`" in reference and all(p.name == "help" or p.opts[0] in reference for p in root.params)


def test_the_readme_links_exist_and_its_quick_start_is_real() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)", readme):
        assert (REPO / target).is_file(), target
    for guide in ("operator", "reviewer", "analyst", "extraction", "benchmarks", "cli"):
        assert f"docs/{guide}.md" in readme, guide
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^\$ make (\w[\w-]*)", readme, re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "make test" in readme  # CI runs the README's test command
