"""paramtrack: keeps a curated dataset of ML model sizes current.

The top-level package holds only the CLI (``paramtrack.cli``) and the few things every layer
shares (``paramtrack.core.settings``, ``paramtrack.core.errors``). Importing it is cheap on purpose: Prefect
and the web stack are imported only by the commands that need them.
"""

__version__ = "0.1.0"
