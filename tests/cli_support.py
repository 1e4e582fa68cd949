"""Run the `paramtrack` CLI in-process (Typer's CliRunner), as ``paramtrack.cli.main`` would.

``main`` turns a library error into one ``Error: ...`` line on stderr and an exit code; a
CliRunner invocation of the Typer app lets such an error escape instead, so :func:`cli` maps it
the same way (the same two functions ``main`` uses). No tests in this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def cli(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
    """Invoke ``paramtrack ARGS`` in this process; a ParamtrackError becomes main()'s line and code."""
    from paramtrack.cli import app, error_line, exit_code_for
    from paramtrack.core.errors import ParamtrackError

    result = CliRunner().invoke(app, list(args), input=input, env=env, prog_name="paramtrack")
    stderr = result.stderr
    if isinstance(result.exception, ParamtrackError):
        return CliResult(exit_code_for(result.exception), result.stdout, stderr + error_line(result.exception) + "\n")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, stderr)
