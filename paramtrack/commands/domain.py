"""``paramtrack domain train`` and ``paramtrack domain show``: the learned domain classifier.

``train`` fits the domain model on Epoch's titles and abstracts (``extractors.domain_training``),
prints its cross-validated accuracy (folds by paper) and writes the model file, by default the
packaged one that extraction reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from paramtrack.core.errors import InputError

domain_app = typer.Typer(help="The learned classifier that gives each paper its domain.", no_args_is_help=True)


def _figures(cv: dict[str, Any]) -> str:
    return (
        f"cross-validated on {cv['papers']} Epoch papers ({cv['folds']} folds by paper): {cv['accuracy']:.1%}"
        f" (in-sample {cv['in_sample']:.1%})\nper domain: "
        + ", ".join(f"{label} {right}" for label, right in cv["per_label"].items())
    )


@domain_app.command("train")
def train_command(
    corpus: Annotated[Path | None, typer.Option(help="shared data folder (default ../shared/data)")] = None,
    output: Annotated[Path | None, typer.Option(help="model file to write (default: the packaged model)")] = None,
) -> None:
    """Fit the domain model on Epoch's titles and abstracts, print its cross-validated accuracy, write it."""
    from paramtrack.core.settings import find_corpus
    from paramtrack.extractors.domain import packaged_domain_model_path
    from paramtrack.extractors.domain_training import train_domain

    root = find_corpus(corpus)
    typer.echo(f"Training on the titles and abstracts in {root / 'epoch'} ...", err=True)
    model, cv = train_domain(root / "epoch")
    typer.echo(_figures(cv))
    target = output or packaged_domain_model_path()
    try:
        model.save(target)
    except OSError as exc:
        raise InputError(
            f"cannot write the model to {target}: {exc.strerror or exc}", hint="pass --output PATH"
        ) from exc
    typer.echo(
        f"Wrote domain model d{model.tag} ({len(model.vocabulary)} terms, {len(model.classes)} domains): {target}"
    )


@domain_app.command("show")
def show_command(
    words: Annotated[int, typer.Option(help="how many of each domain's strongest words to list")] = 8,
) -> None:
    """Show the domain model: what it learned from, its cross-validated accuracy, each domain's strongest words."""
    from paramtrack.extractors.domain import DomainModelError, load_domain_model, packaged_domain_model_path

    try:
        model = load_domain_model()
    except DomainModelError as exc:
        raise InputError(str(exc), hint="run 'paramtrack domain train'") from exc
    typer.echo(
        f"domain model d{model.tag} ({packaged_domain_model_path()}), trained {model.meta.get('trained_at', '?')}"
    )
    cv = model.meta.get("cv")
    if cv:
        typer.echo(_figures(cv))
    terms = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    for label, row in zip(model.classes, model.coef):
        top = sorted(range(len(row)), key=lambda i: -row[i])[:words]
        typer.echo(f"  {label:<15} " + ", ".join(terms[i] for i in top))


def register(app: typer.Typer) -> None:
    app.add_typer(domain_app, name="domain")
