"""paramtrack: keeps a curated dataset of ML model sizes current.

One import namespace. The subpackages live in the repo's top-level folders (``flows/`` holds
``paramtrack.flows``, ``extractors/`` holds ``paramtrack.extractors``, ...); this folder holds
the CLI on top (``paramtrack.cli``, ``paramtrack.commands``) and the kernel underneath
(``paramtrack.core``: errors, settings, units, progress). Importing it is cheap on purpose:
Prefect and the web stack are imported only by the commands that need them.
"""

__version__ = "0.1.0"
