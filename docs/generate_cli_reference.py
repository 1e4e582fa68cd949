"""Write ``docs/cli.md``, the reference of every paramtrack command and option, from the CLI itself.

``python docs/generate_cli_reference.py`` (``make docs``) regenerates it; ``tests/project/test_docs.py``
checks that the committed file is what this prints, so the reference cannot drift from the code
(the habit of sqlite-utils, whose CLI reference is generated from ``--help`` the same way).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "cli.md"
HEADER = """# CLI reference

Every command and option of `paramtrack`, generated from the CLI itself by
`docs/generate_cli_reference.py` (run `make docs` after changing a command; `tests/project/test_docs.py`
fails while this page is out of date). Global option, before the command:

"""


def _walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _walk(sub, [*path, name])
    else:
        yield path, command


def _param_line(param: Any) -> str:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    if param.param_type_name == "argument":
        names = f"`{(param.name or 'arg').upper()}`" + (" (one or more)" if param.nargs == -1 else "")
    text = " ".join((getattr(param, "help", None) or "").split())
    extras = []
    envvar = getattr(param, "envvar", None)
    if envvar:
        extras.append(f"env `{envvar}`")
    default = param.default
    if param.param_type_name == "option" and default not in (None, False, (), [], "") and not callable(default):
        extras.append(f"default `{default}`")
    if getattr(param, "required", False) and param.param_type_name == "option":
        extras.append("required")
    return f"- {names}: {text}" + (f" ({'; '.join(extras)})" if extras else "")


def render() -> str:
    import typer.main

    from paramtrack.cli import app

    root = typer.main.get_command(app)
    lines = [HEADER.rstrip("\n"), ""]
    lines += [_param_line(p) for p in root.params if p.name != "help"]
    for path, command in _walk(root, []):
        lines += ["", f"## `paramtrack {' '.join(path)}`", ""]
        doc = " ".join((command.help or "").split())
        if doc:
            lines += [doc, ""]
        params = [p for p in command.params if p.name != "help"]
        lines += [_param_line(p) for p in params] if params else ["(no options)"]
    return "\n".join(lines) + "\n"


def main() -> int:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
