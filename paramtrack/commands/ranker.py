"""``paramtrack ranker train`` and ``paramtrack ranker show``: the learned candidate ranker.

``train`` fits the ranker's weights on the shared ground truth and on Epoch's abstracts (and, with
``--with-decisions``, on the reviewer decisions in the warehouse), prints cross-validated figures
(folds by paper) and writes a model file. A model trained with decisions is adopted (written beside the warehouse,
where every later run of this warehouse picks it up) only when cross-validation over the same
papers does not get worse than without the decisions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from paramtrack.core.errors import InputError

ranker_app = typer.Typer(help="The learned ranker that orders parameter-count candidates.", no_args_is_help=True)


def _progress(i: int, n: int, arxiv_id: str) -> None:
    if i == n or i % 10 == 0:
        typer.echo(f"  extracted {i}/{n} ground-truth papers ({arxiv_id})", err=True)


def _figures(label: str, f: dict[str, Any]) -> str:
    return (
        f"{label:<44} top-1 {f['top1']:.1%}  top-3 {f['top3']:.1%}  among {f.get('among', 0):.1%}"
        f"  confident right {f.get('confident_precision', 0):.1%} of {f.get('confident', 0)}"
        f"  negatives clean {f['negatives_clean']:.1%}  ({f['positives']} with a count, {f['negatives']} without)"
    )


@ranker_app.command("train")
def train_command(
    ctx: typer.Context,
    corpus: Annotated[Path | None, typer.Option(help="shared data folder (default ../shared/data)")] = None,
    with_decisions: Annotated[
        bool, typer.Option("--with-decisions", help="also learn from the reviewer decisions in --db")
    ] = False,
    folds: Annotated[int, typer.Option("--cv", min=2, max=20, help="cross-validation folds (by paper)")] = 5,
    seed: Annotated[int, typer.Option(help="seed that deals papers into folds")] = 0,
    output: Annotated[
        Path | None,
        typer.Option(
            help="model file to write (default: the packaged model, or beside the warehouse with --with-decisions)"
        ),
    ] = None,
) -> None:
    """Fit the ranker, print cross-validated figures, and write the model file (when adopted)."""
    from paramtrack.commands import settings_from
    from paramtrack.core.settings import find_corpus
    from paramtrack.extractors.abstract_eval import abstract_examples
    from paramtrack.extractors.evaluation import examples_from, extract_ground_truth, load_ground_truth
    from paramtrack.extractors.ranker import packaged_model_path
    from paramtrack.extractors.training import train

    settings = settings_from(ctx)
    root = find_corpus(corpus)
    decisions = []
    if with_decisions:
        from paramtrack.warehouse import Warehouse
        from paramtrack.warehouse.training_store import decision_examples

        if not settings.db_path.is_file():
            raise InputError(f"no warehouse at {settings.db_path}", hint="pass --db, or drop --with-decisions")
        with Warehouse(settings.db_path).read() as con:
            decisions = decision_examples(con)
        typer.echo(f"Reviewer decisions that label candidates: {len(decisions)} papers")
    typer.echo(f"Extracting the ground truth in {root / 'pdfs'} ...", err=True)
    corpus_examples = examples_from(extract_ground_truth(root, load_ground_truth(root), progress=_progress))
    typer.echo(f"Reading Epoch's abstracts in {root / 'epoch'} ...", err=True)
    abstracts = abstract_examples(root / "epoch")
    typer.echo(
        f"Training on {len(corpus_examples)} ground-truth PDFs and {len(abstracts)} Epoch abstracts"
        + (f" and {len(decisions)} decided papers" if decisions else ""),
        err=True,
    )
    outcome = train(corpus_examples, decisions, abstracts=abstracts, k=folds, seed=seed)
    typer.echo(f"Cross-validated ({folds} folds by paper, seed {seed}):")
    parts = (("corpus", "ground truth (PDFs)"), ("abstract", "Epoch abstracts"))
    if decisions:
        for part, label in (*parts, ("decision", "decision papers")):
            typer.echo(_figures(f"  {label}, trained without decisions", outcome.before[part]))
            typer.echo(_figures(f"  {label}, trained with decisions", outcome.after[part]))
    else:
        for part, label in parts:
            typer.echo(_figures(f"  {label}", outcome.after[part]))
    target = output or (settings.ranker_model_path if with_decisions else packaged_model_path())
    if decisions and not outcome.adopted:
        typer.echo(
            f"Not adopted: cross-validation got worse with the decisions; the model in use stays ({target} not written)."
        )
        return
    try:
        outcome.model.save(target)
    except OSError as exc:
        raise InputError(
            f"cannot write the model to {target}: {exc.strerror or exc}", hint="pass --output PATH"
        ) from exc
    meta = outcome.model.meta
    typer.echo(
        f"Adopted model r{outcome.model.tag} (L2 {meta.get('l2')}, confidence offset {meta.get('confidence_offset')}): {target}"
    )


@ranker_app.command("show")
def show_command(
    weights: Annotated[int | None, typer.Option(help="list only this many of the strongest weights")] = None,
) -> None:
    """Show the model in use: where it is, what it learned from, its cross-validated figures, and
    every feature with its enforced sign and learned weight."""
    from paramtrack.extractors.ranker import RankerModelError, active_model_path, load_model

    path = active_model_path()
    try:
        model = load_model(path)
    except RankerModelError as exc:
        raise InputError(str(exc), hint="run 'paramtrack ranker train'") from exc
    typer.echo(describe_model(model, path))
    cv = model.meta.get("cv") or {}
    for part, label in (("corpus", "ground truth"), ("abstract", "Epoch abstracts"), ("decision", "decision papers")):
        figures = (cv.get("after") or {}).get(part)
        if figures and figures.get("papers"):
            typer.echo(_figures(f"cross-validated on {label} ({cv.get('folds')} folds)", figures))
    typer.echo(
        f"confidence offset {meta_value(model, 'confidence_offset')} (chosen so that confident top candidates"
        " were right >= 95 % of the time out of fold)"
    )
    typer.echo("weights per standard deviation of the feature (sign: + must help, - must hurt, free: learned):")
    for name, sign, w in model.weights()[:weights]:
        mark = {1: "+", -1: "-", 0: "free"}[sign]
        typer.echo(f"  {name:<24} {mark:>4}  {w:+.3f}" + ("  (not used)" if w == 0 else ""))


def meta_value(model: Any, key: str) -> str:
    value = model.meta.get(key)
    return "?" if value is None else str(value)


def describe_model(model: Any, path: Path) -> str:
    """One line: tag, file, what it learned from (shared with ``paramtrack status``)."""
    meta = model.meta
    learned = (
        f"{meta.get('papers', '?')} ground-truth papers + {meta.get('abstracts', 0)} Epoch abstracts"
        f" + {meta.get('decisions', 0)} reviewer decisions"
    )
    return f"ranker r{model.tag} ({path}), trained {meta.get('trained_at', '?')} on {learned}"


def register(app: typer.Typer) -> None:
    app.add_typer(ranker_app, name="ranker")
