"""One module per command group; each has ``register(app)``. Shared helpers live here."""

from __future__ import annotations

import typer

from paramtrack.core.settings import Settings


def settings_from(ctx: typer.Context) -> Settings:
    """The resolved settings of this invocation (the root callback always sets them)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()
