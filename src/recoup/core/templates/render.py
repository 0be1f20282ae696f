"""Rendering the messages of many rows at once: each template is compiled once, plain templates (text and
variables only) become one `concat_str` over the whole column, others render row by row.

`render_messages` is the drop-in successor of `recoup.core.messages.render_builtin` for the daily run.
"""

from __future__ import annotations

import polars as pl

from recoup.core.templates.library import DEFAULT_TONE, LibraryEntry, TemplateLibrary
from recoup.core.templates.locale import null_text
from recoup.core.templates.variables import context_frame

_KEYS = ("template_id", "jurisdiction", "language", "tone", "creditor_id")
_SEP = "\x1f"
_NULL = "\x00"


def _keys(frame: pl.DataFrame) -> pl.DataFrame:
    def column(name: str) -> pl.Expr:
        if name in frame.columns:
            return pl.col(name).cast(pl.String)
        return pl.lit(DEFAULT_TONE if name == "tone" else None, dtype=pl.String).alias(name)

    keys = frame.select([column(name) for name in _KEYS])
    return keys.with_columns(pl.col("tone").fill_null(DEFAULT_TONE))


def _plain_expr(entry: LibraryEntry) -> pl.Expr:
    assert entry.compiled.pieces is not None
    parts = [pl.col(text) if is_variable else pl.lit(text) for is_variable, text in entry.compiled.pieces]
    return pl.concat_str(parts) if parts else pl.lit("")


def render_messages(frame: pl.DataFrame, library: TemplateLibrary, *, agency: str, phone: str) -> pl.Series:
    """The message of every row of ``frame`` (columns as `context_frame` needs, plus template_id and
    optionally tone and creditor_id). Rows without a template, or whose template is not in the
    library, get null."""
    if frame.is_empty():
        return pl.Series("message", [], dtype=pl.String)
    keys = _keys(frame)
    distinct = keys.unique().filter(pl.col("template_id").is_not_null() & pl.col("language").is_not_null())
    context = context_frame(frame, agency, phone).with_columns(
        _group=keys.select(
            pl.concat_str([pl.col(k).fill_null(_NULL) for k in _KEYS], separator=_SEP)
        ).to_series()
    )
    plain = null_text("_group")
    row_by_row: dict[str, LibraryEntry] = {}
    for template_id, jurisdiction, language, tone, creditor_id in distinct.iter_rows():
        entry = library.find(template_id, jurisdiction or "", language, tone, creditor_id)
        if entry is None:
            continue
        group = _SEP.join(
            _NULL if v is None else v for v in (template_id, jurisdiction, language, tone, creditor_id)
        )
        if entry.compiled.pieces is not None:
            plain = pl.when(pl.col("_group") == group).then(_plain_expr(entry)).otherwise(plain)
        else:
            row_by_row[group] = entry
    rendered = context.select(plain.alias("message")).to_series()
    if not row_by_row:
        return rendered
    indexed = context.with_row_index("_row").filter(pl.col("_group").is_in(list(row_by_row)))
    texts = [row_by_row[row["_group"]].compiled.render(row) for row in indexed.iter_rows(named=True)]
    slow = pl.Series("message", [None] * frame.height, dtype=pl.String).scatter(indexed["_row"], texts)
    return rendered.zip_with(rendered.is_not_null(), slow).alias("message")
