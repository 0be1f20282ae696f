"""`recoup model train | evaluate | list | promote`: fit, validate, version and promote scoring models.

Data sources: ``--dataset german-credit`` (the real-data check of the ability model; the CSV ships in
``data/``) or ``--sim-accounts N --sim-days D`` (a synthetic portfolio and its simulated history, for
the willingness model and the demo). Models go to the registry directory ``--model-dir``
(``RECOUP_MODEL_DIR``, default ``./models``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table

from recoup.adapters.db.portfolio import all_events, placed_accounts
from recoup.adapters.models.plots import calibration_plot
from recoup.adapters.models.registry import ModelRegistry
from recoup.core.errors import ValidationError
from recoup.core.scoring.german import DATASET as GERMAN
from recoup.core.scoring.german import SPEC as GERMAN_SPEC
from recoup.core.scoring.german import parse_german
from recoup.core.scoring.scorer import FeatureSpec
from recoup.core.scoring.specs import PORTFOLIO_SPECS
from recoup.core.scoring.targets import ability_labels, willingness_labels
from recoup.core.scoring.training import FAMILIES
from recoup.entrypoints.cli.common import err, globals_of, out, parse_date, progress, user_errors
from recoup.services import modeling

app = typer.Typer(
    help="Fit, validate, version and promote the ability and willingness models.", no_args_is_help=True
)

GERMAN_FILE = Path("data") / "german_credit.csv"


class Dataset(StrEnum):
    german_credit = GERMAN


class Kind(StrEnum):
    ability = "ability"
    willingness = "willingness"


class Family(StrEnum):
    scorecard = "scorecard"
    gbm = "gbm"
    both = "both"


DatasetOption = Annotated[
    Dataset | None, typer.Option("--dataset", help="a bundled real data set (german-credit: ability)")
]
SimAccountsOption = Annotated[
    int | None, typer.Option("--sim-accounts", min=100, help="learn from a simulated portfolio of N accounts")
]
SimDaysOption = Annotated[int, typer.Option("--sim-days", min=31, help="days of simulated history")]
KindOption = Annotated[
    Kind | None,
    typer.Option("--kind", help="score to fit (default: ability for german-credit, else willingness)"),
]
SeedOption = Annotated[int, typer.Option("--seed", help="seed for folds, models and the simulation")]
DataFileOption = Annotated[
    Path | None, typer.Option("--data-file", help="the German credit CSV (default: data/german_credit.csv)")
]
ModelDirOption = Annotated[
    Path, typer.Option("--model-dir", envvar="RECOUP_MODEL_DIR", help="model registry directory")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


def _german_file(path: Path | None) -> Path:
    if path is not None:
        return path
    for candidate in (Path.cwd() / GERMAN_FILE, Path(__file__).resolve().parents[4] / GERMAN_FILE):
        if candidate.is_file():
            return candidate
    raise ValidationError("german_credit.csv not found; pass --data-file PATH", field="--data-file")


LABELS = {"willingness": willingness_labels, "ability": ability_labels}

PortfolioOption = Annotated[
    bool, typer.Option("--portfolio", help="learn from the stored portfolio's own history (--db)")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="with --portfolio: history up to this date (default: today)")
]


@dataclass(frozen=True)
class StoredHistory:
    accounts: pl.DataFrame
    events: pl.DataFrame
    cutoff: date


def _stored_history(ctx: typer.Context, as_of: str | None) -> StoredHistory:
    """The portfolio in the database, as placed, with every event it has had."""
    recoup = globals_of(ctx).app()
    try:
        cutoff = parse_date(as_of, "--as-of") or recoup.clock().date()
        return StoredHistory(placed_accounts(recoup.db), all_events(recoup.db), cutoff)
    finally:
        recoup.close()


def _examples(
    dataset: Dataset | None,
    sim_accounts: int | None,
    sim_days: int,
    kind: Kind | None,
    seed: int,
    data_file: Path | None,
    stored: StoredHistory | None = None,
) -> tuple[modeling.Examples, FeatureSpec, str]:
    if sum(source is not None for source in (dataset, sim_accounts, stored)) != 1:
        raise typer.BadParameter(
            "choose one source: --dataset german-credit, --sim-accounts N or --portfolio"
        )
    if stored is not None:
        chosen = (kind or Kind.willingness).value
        labels = LABELS[chosen](stored.events, stored.cutoff)
        if labels.is_empty():
            raise ValidationError(
                f"the portfolio has no labelled {chosen} examples up to {stored.cutoff}", field="--portfolio"
            )
        examples = modeling.portfolio_examples(stored.accounts, stored.events, stored.cutoff, chosen)
        return examples, PORTFOLIO_SPECS[chosen], chosen
    if dataset is not None:
        if kind == Kind.willingness:
            raise typer.BadParameter("german-credit carries an ability outcome only", param_hint="--kind")
        path = _german_file(data_file)
        data = parse_german(path.read_bytes(), source=str(path))
        return modeling.german_examples(data), GERMAN_SPEC, Kind.ability.value
    chosen = (kind or Kind.willingness).value
    history = modeling.simulated_history(int(sim_accounts or 0), sim_days, seed=seed)
    examples = modeling.portfolio_examples(
        history.accounts, history.events, history.cutoff, chosen, dataset=modeling.SIMULATION_DATASET
    )
    return examples, PORTFOLIO_SPECS[chosen], chosen


def _families(family: Family) -> tuple[str, ...]:
    return FAMILIES if family == Family.both else (family.value,)


@app.command()
@user_errors
def train(
    ctx: typer.Context,
    dataset: DatasetOption = None,
    sim_accounts: SimAccountsOption = None,
    sim_days: SimDaysOption = 90,
    kind: KindOption = None,
    family: Annotated[Family, typer.Option("--family", help="model family to fit")] = Family.both,
    seed: SeedOption = modeling.DEFAULT_SEED,
    data_file: DataFileOption = None,
    model_dir: ModelDirOption = Path("models"),
    json_output: JsonOption = False,
    portfolio: PortfolioOption = False,
    as_of: AsOfOption = None,
) -> None:
    """Fit, cross-validate and store a model version per family (promote one with `recoup model promote`)."""
    show = globals_of(ctx).show_progress
    registry = ModelRegistry(model_dir)
    records = []
    with progress(show, description="preparing data") as advance:
        stored = _stored_history(ctx, as_of) if portfolio else None
        examples, spec, chosen = _examples(dataset, sim_accounts, sim_days, kind, seed, data_file, stored)
        for name in _families(family):
            advance(0, description=f"training {name}")
            trained = modeling.train(examples, spec, name, kind=chosen, seed=seed)
            records.append(registry.save(trained.scorer, trained.metadata()))
    if json_output:
        print(json.dumps([record.to_dict() for record in records], indent=2))
        return
    table = Table(title=f"{chosen} models trained on {examples.dataset} ({examples.labels.size} rows)")
    for column in ("version", "family", "AUC", "KS", "Brier"):
        table.add_column(column)
    for record in records:
        metrics = record.metrics
        table.add_row(
            record.version,
            record.family,
            f"{metrics['auc']:.3f}",
            f"{metrics['ks']:.3f}",
            f"{metrics['brier']:.3f}",
        )
    out.print(table)
    out.print(f"saved in {model_dir}; promote one with: recoup model promote VERSION")


def _metric_table(evaluation: modeling.Evaluation) -> Table:
    table = Table(
        title=f"{evaluation.kind} on {evaluation.dataset}: {evaluation.folds}-fold stratified CV, "
        f"seed {evaluation.seed}, {evaluation.rows} rows ({evaluation.positives} good)"
    )
    for column in ("model", "AUC", "Gini", "KS", "Brier", "Brier raw", "calibration", "PSI"):
        table.add_column(column, justify="right" if column != "model" else "left")
    for name, report in evaluation.families.items():
        mean = report.mean
        methods = sorted(set(report.calibrators), key=report.calibrators.count, reverse=True)
        table.add_row(
            name + (" (best)" if name == evaluation.best else ""),
            f"{mean['auc']:.3f}",
            f"{mean['gini']:.3f}",
            f"{mean['ks']:.3f}",
            f"{mean['brier']:.4f}",
            f"{report.raw_brier:.4f}",
            "/".join(methods),
            f"{report.psi:.3f}",
        )
    return table


def _fairness_table(report: modeling.FamilyReport, threshold: float) -> Table:
    table = Table(title=f"score and approval (p >= {threshold}) by group: {report.family}")
    for column in ("attribute", "group", "n", "mean score", "approval", "gap", "impact ratio", "flag"):
        table.add_column(column)
    for row in report.fairness.iter_rows(named=True):
        table.add_row(
            row["attribute"],
            row["group"],
            str(row["n"]),
            f"{row['mean_score']:.3f}",
            f"{row['approval_rate']:.1%}",
            f"{row['approval_gap']:+.1%}",
            f"{row['impact_ratio']:.2f}" if row["impact_ratio"] is not None else "-",
            "ADVERSE IMPACT" if row["adverse_impact"] else "",
        )
    return table


@app.command()
@user_errors
def evaluate(
    ctx: typer.Context,
    dataset: DatasetOption = None,
    sim_accounts: SimAccountsOption = None,
    sim_days: SimDaysOption = 90,
    kind: KindOption = None,
    family: Annotated[Family, typer.Option("--family", help="model family to validate")] = Family.both,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20)] = modeling.DEFAULT_FOLDS,
    seed: SeedOption = modeling.DEFAULT_SEED,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0.0, max=1.0, help="approval cut-off for the fairness table")
    ] = modeling.APPROVAL_THRESHOLD,
    plot: Annotated[Path | None, typer.Option("--plot", help="write the calibration plot (PNG) here")] = None,
    data_file: DataFileOption = None,
    json_output: JsonOption = False,
    portfolio: PortfolioOption = False,
    as_of: AsOfOption = None,
) -> None:
    """AUC, Gini, KS and Brier of each model family on stratified k-fold CV, with calibration and fairness."""
    show = globals_of(ctx).show_progress
    with progress(show, description="validating") as advance:
        stored = _stored_history(ctx, as_of) if portfolio else None
        examples, spec, chosen = _examples(dataset, sim_accounts, sim_days, kind, seed, data_file, stored)
        advance(0, description=f"cross-validating {', '.join(_families(family))}")
        evaluation = modeling.evaluate(
            examples,
            spec,
            kind=chosen,
            families=_families(family),
            folds=folds,
            seed=seed,
            threshold=threshold,
        )
    if plot is not None:
        calibration_plot(
            {name: report.calibration for name, report in evaluation.families.items()},
            plot,
            title=f"{chosen} calibration on {evaluation.dataset} (out-of-fold)",
        )
    if json_output:
        print(json.dumps(_json_ready(evaluation.to_dict()), indent=2))
        return
    out.print(_metric_table(evaluation))
    best = evaluation.families[evaluation.best]
    out.print(_fairness_table(best, threshold))
    for name, report in evaluation.families.items():
        if report.psi >= 0.1:
            err.print(
                f"warning: {name}: PSI {report.psi:.3f} between training and scoring populations (drift)"
            )
    if plot is not None:
        out.print(f"calibration plot: {plot}")


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and math.isnan(value):  # NaN has no JSON spelling
        return None
    return value


@app.command("list")
@user_errors
def list_models(model_dir: ModelDirOption = Path("models"), json_output: JsonOption = False) -> None:
    """Every stored model version, oldest first; promoted ones are marked."""
    records = ModelRegistry(model_dir).list()
    if json_output:
        print(json.dumps([record.to_dict() for record in records], indent=2))
        return
    if not records:
        out.print(f"no models in {model_dir}; the daily run uses the built-in scorecards")
        return
    table = Table(title=f"models in {model_dir}")
    for column in ("version", "kind", "family", "dataset", "AUC", "created", "promoted"):
        table.add_column(column)
    for record in records:
        auc = record.metrics.get("auc")
        table.add_row(
            record.version,
            record.kind,
            record.family,
            record.dataset,
            f"{auc:.3f}" if isinstance(auc, int | float) else "-",
            record.created_at[:19],
            "yes" if record.promoted else "",
        )
    out.print(table)


@app.command()
@user_errors
def promote(
    version: Annotated[str, typer.Argument(help="a version shown by `recoup model list`")],
    model_dir: ModelDirOption = Path("models"),
) -> None:
    """Make VERSION the model the daily run scores its kind with (it is verified first)."""
    record = ModelRegistry(model_dir).promote(version)
    out.print(f"promoted {record.version}: the daily run now scores {record.kind} with it")
