from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.audit import (
    GENESIS,
    PURGE_KIND,
    Break,
    Checkpoint,
    ColumnType,
    Cover,
    Entry,
    Equals,
    Head,
    KeyRange,
    LogEntry,
    Reason,
    canonical_json,
    chain,
    column_type,
    cover,
    entry_hash,
    key_range_cover,
    retention_cutoff,
    rows_digest,
    rows_digest_scalar,
    sha256_hex,
    verify_chain,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CN = timezone(timedelta(hours=8))


def _always(_checkpoint: Checkpoint) -> bool:
    return True


def _log(n: int, start: datetime = T0) -> list[LogEntry]:
    entries: list[LogEntry] = []
    head = GENESIS
    for i in range(n):
        [entry] = chain([Entry(f"test.{i % 3}", {"i": i, "name": "张三"})], head, start + timedelta(days=i))
        entries.append(entry)
        head = Head(entry.seq, entry.hash)
    return entries


def _head(entries: list[LogEntry]) -> Head:
    return Head(entries[-1].seq, entries[-1].hash) if entries else GENESIS


def _first_break(
    entries: list[LogEntry], head: Head | None, checkpoints: list[Checkpoint] = []
) -> Break | None:
    return verify_chain(entries, head, checkpoints, _always).first_break


# Canonical JSON -----------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_keeps_utf8_and_normalises_instants() -> None:
    text = canonical_json(
        {"b": 1, "a": ["债务人", date(2026, 3, 1)], "at": datetime(2026, 3, 1, 16, tzinfo=CN)}
    )
    assert text == '{"a":["债务人","2026-03-01"],"at":"2026-03-01T08:00:00.000000Z","b":1}'


def test_canonical_json_names_non_finite_floats() -> None:
    assert canonical_json([float("nan"), float("-inf"), 0.25]) == '["NaN","-Infinity",0.25]'


@pytest.mark.parametrize("bad", [object(), {1: "x"}, {"x": b"bytes"}])
def test_canonical_json_refuses_what_has_no_single_form(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_json({"x": bad})


def test_entry_content_reserves_covers() -> None:
    with pytest.raises(ValueError, match="reserved"):
        Entry("x", {"covers": []}).content_text()


# Row digests ----------------------------------------------------------------------------------------

KINDS: dict[ColumnType, tuple[pl.DataType, st.SearchStrategy[object]]] = {
    "int": (pl.Int64(), st.integers(-(2**63), 2**63 - 1)),
    "str": (pl.String(), st.text(max_size=12)),
    "bool": (pl.Boolean(), st.booleans()),
    "date": (pl.Date(), st.dates()),
    "instant": (pl.Datetime("us", "UTC"), st.datetimes(timezones=st.just(UTC))),
    "float": (pl.Float64(), st.floats(allow_nan=False)),
}


@st.composite
def frames(draw: st.DrawFn) -> tuple[pl.DataFrame, tuple[tuple[str, ColumnType], ...]]:
    keys = draw(st.lists(st.integers(-(10**12), 10**12), unique=True, max_size=25))
    kinds = draw(st.lists(st.sampled_from(list(KINDS)), min_size=1, max_size=6))
    data: dict[str, pl.Series] = {"key": pl.Series("key", keys, dtype=pl.Int64())}
    for index, kind in enumerate(kinds):
        dtype, values = KINDS[kind]
        column = draw(st.lists(st.one_of(st.none(), values), min_size=len(keys), max_size=len(keys)))
        data[f"c{index}"] = pl.Series(f"c{index}", column, dtype=dtype)
    frame = pl.DataFrame(data)
    return frame, tuple((name, column_type(dtype)) for name, dtype in frame.schema.items())


@given(frames())
@settings(max_examples=200, deadline=None)
def test_columnar_digest_agrees_with_the_scalar_reference(
    case: tuple[pl.DataFrame, tuple[tuple[str, ColumnType], ...]],
) -> None:
    frame, columns = case
    assert rows_digest(frame, columns) == rows_digest_scalar(frame.rows(), [k for _, k in columns])


@given(frames(), st.data())
@settings(max_examples=100, deadline=None)
def test_digest_ignores_row_order_but_sees_any_changed_value(
    case: tuple[pl.DataFrame, tuple[tuple[str, ColumnType], ...]], data: st.DataObject
) -> None:
    frame, columns = case
    digest = rows_digest(frame, columns)
    assert rows_digest(frame.sample(fraction=1.0, shuffle=True, seed=7), columns) == digest
    if frame.is_empty():
        return
    row = data.draw(st.integers(0, frame.height - 1))
    name, kind = data.draw(st.sampled_from(columns[1:])) if len(columns) > 1 else columns[0]
    series = frame.get_column(name)
    current = series[row]
    _, values = KINDS[kind]
    replacement = data.draw(st.one_of(st.none(), values).filter(lambda v: v != current))
    if name == "key" and (replacement is None or replacement in series.to_list()):
        return
    changed = frame.with_columns(series.scatter(row, replacement))
    assert rows_digest(changed, columns) != digest
    assert rows_digest(frame.filter(pl.int_range(pl.len()) != row), columns) != digest


def test_digest_reads_zoned_and_naive_instants_as_the_same_utc_moment() -> None:
    moment = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    zoned = pl.DataFrame({"key": [1], "t": [moment]}).with_columns(
        pl.col("t").dt.convert_time_zone("Asia/Shanghai")
    )
    naive = pl.DataFrame({"key": [1], "t": [moment.replace(tzinfo=None)]})
    columns: tuple[tuple[str, ColumnType], ...] = (("key", "int"), ("t", "instant"))
    assert (
        rows_digest(zoned, columns)
        == rows_digest(naive, columns)
        == rows_digest_scalar([(1, moment)], ["int", "instant"])
    )


def test_int_width_and_empty_strings_versus_nulls() -> None:
    narrow = pl.DataFrame({"key": [1, 2], "n": pl.Series([5, None], dtype=pl.Int32)})
    wide = narrow.with_columns(pl.col("n").cast(pl.Int64))
    columns: tuple[tuple[str, ColumnType], ...] = (("key", "int"), ("n", "int"))
    assert rows_digest(narrow, columns) == rows_digest(wide, columns)
    texts: tuple[tuple[str, ColumnType], ...] = (("key", "int"), ("s", "str"))
    empty = pl.DataFrame({"key": [1], "s": [""]})
    null = pl.DataFrame({"key": [1], "s": pl.Series([None], dtype=pl.String)})
    assert rows_digest(empty, texts) != rows_digest(null, texts)
    # A value moving across the boundary of its neighbour changes the digest.
    a = pl.DataFrame({"key": [1, 2], "s": ["ab", "c"]})
    b = pl.DataFrame({"key": [1, 2], "s": ["a", "bc"]})
    assert rows_digest(a, texts) != rows_digest(b, texts)


# Covers ---------------------------------------------------------------------------------------------


def test_covers_round_trip_through_their_json() -> None:
    frame = pl.DataFrame({"key": [3, 1, 2], "run_date": [date(2026, 3, 1)] * 3, "status": ["q"] * 3})
    ranged = key_range_cover("actions", frame, exclude=("status",))
    assert ranged.where == KeyRange("key", 1, 3)
    assert ranged.columns == (("key", "int"), ("run_date", "date"))
    equal = cover("events", frame.select("key"), Equals("applied_on", date(2026, 3, 1)))
    for made in (ranged, equal):
        assert Cover.from_json(made.as_json()) == made
        assert Cover.from_json(__import__("json").loads(canonical_json(made.as_json()))) == made


@pytest.mark.parametrize(
    "change",
    [
        {"table": 'actions" ; DROP TABLE accounts; --'},
        {"columns": [["key", "int"], ["x FROM accounts --", "str"]]},
        {"columns": [["key", "blob"]]},
        {"where": {"column": "key", "between": ["1", 2]}},
        {"where": {"column": "run_date", "equals": "1 OR 1=1", "type": "date"}},
        {"sha256": "z" * 64},
    ],
)
def test_a_stored_cover_that_could_inject_sql_or_is_malformed_is_refused(change: dict[str, object]) -> None:
    good = key_range_cover("actions", pl.DataFrame({"key": [1, 2]})).as_json()
    with pytest.raises(ValueError):
        Cover.from_json({**good, **change})


# The chain ------------------------------------------------------------------------------------------


def test_an_untouched_chain_verifies_and_counts() -> None:
    entries = _log(5)
    report = verify_chain(entries, _head(entries), [], _always)
    assert report.intact and (report.entries, report.purged) == (5, 0)
    assert entries[0].prev_hash == GENESIS.hash and entries[1].prev_hash == entries[0].hash


def test_an_empty_log_verifies_but_a_missing_head_does_not() -> None:
    assert _first_break([], GENESIS) is None
    assert _first_break([], None) == Break(1, Reason.MISSING, "the log's head record is missing")


TAMPERS = ("content", "content_and_its_hash", "kind", "at", "hash", "prev_hash", "delete", "swap")


@given(st.integers(1, 12), st.sampled_from(TAMPERS), st.data())
@settings(max_examples=300, deadline=None)
def test_any_edit_delete_or_swap_is_found_and_named(n: int, tamper: str, data: st.DataObject) -> None:
    entries = _log(n)
    head = _head(entries)
    i = data.draw(st.integers(0, n - 1))
    expected_reason = Reason.EDITED
    tampered = list(entries)
    victim = entries[i]
    if tamper == "content":
        tampered[i] = dataclasses.replace(victim, content=canonical_json({"i": -1}))
    elif tamper == "content_and_its_hash":
        forged = canonical_json({"i": -1})
        tampered[i] = dataclasses.replace(victim, content=forged, content_sha256=sha256_hex(forged))
    elif tamper == "kind":
        tampered[i] = dataclasses.replace(victim, kind="forged")
    elif tamper == "at":
        tampered[i] = dataclasses.replace(victim, at=victim.at + timedelta(microseconds=1))
    elif tamper == "hash":
        tampered[i] = dataclasses.replace(victim, hash="f" * 64)
    elif tamper == "prev_hash":
        tampered[i] = dataclasses.replace(victim, prev_hash="e" * 64)
    elif tamper == "delete":
        del tampered[i]
        expected_reason = Reason.MISSING
    else:
        if n == 1:
            return
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        i, j = min(i, j), max(i, j)
        tampered[i] = dataclasses.replace(entries[j], seq=entries[i].seq)
        tampered[j] = dataclasses.replace(entries[i], seq=entries[j].seq)
        expected_reason = Reason.REORDERED
    found = _first_break(tampered, head)
    assert found is not None
    assert (found.seq, found.reason) == (i + 1, expected_reason), found.describe()


def test_deleting_the_newest_entries_shows_against_the_head() -> None:
    entries = _log(4)
    found = _first_break(entries[:2], _head(entries))
    assert found is not None and (found.seq, found.reason) == (3, Reason.MISSING)


def test_an_entry_beyond_the_head_is_named_as_inserted() -> None:
    entries = _log(3)
    found = _first_break(entries, _head(entries[:2]))
    assert found is not None and (found.seq, found.reason) == (3, Reason.INSERTED)


def test_a_head_whose_hash_differs_names_the_last_entry() -> None:
    entries = _log(3)
    found = _first_break(entries, Head(3, "a" * 64))
    assert found is not None and (found.seq, found.reason) == (3, Reason.EDITED)


# Purges ---------------------------------------------------------------------------------------------


def _purged(entries: list[LogEntry], before: datetime, now: datetime) -> list[LogEntry]:
    kept = [dataclasses.replace(e, content=None) if e.at < before else e for e in entries]
    return kept + chain([Entry(PURGE_KIND, {"before": before})], _head(entries), now)


def test_purged_entries_keep_their_hashes_and_still_verify() -> None:
    entries = _purged(_log(6), T0 + timedelta(days=3), T0 + timedelta(days=10))
    report = verify_chain(entries, _head(entries), [], _always)
    assert report.intact and report.purged == 3


def test_content_dropped_without_a_recorded_purge_is_an_edit() -> None:
    entries = _purged(_log(6), T0 + timedelta(days=3), T0 + timedelta(days=10))
    entries[4] = dataclasses.replace(entries[4], content=None)  # newer than the purge's cut-off
    found = _first_break(entries, _head(entries))
    assert found is not None and (found.seq, found.reason) == (5, Reason.EDITED)
    bare = _log(3)
    bare[1] = dataclasses.replace(bare[1], content=None)
    found = _first_break(bare, _head(bare))
    assert found is not None and (found.seq, found.reason) == (2, Reason.EDITED)


# Checkpoints ----------------------------------------------------------------------------------------


def _checkpoint(entry: LogEntry) -> Checkpoint:
    return Checkpoint(entry.seq, entry.hash, T0, "k" * 64, "s" * 128)


def test_a_checkpoint_whose_signature_fails_is_named() -> None:
    entries = _log(5)
    report = verify_chain(entries, _head(entries), [_checkpoint(entries[2])], lambda _c: False)
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (3, Reason.BAD_CHECKPOINT)


def test_a_rewritten_chain_is_caught_by_the_checkpoint_signed_before() -> None:
    entries = _log(5)
    signed = _checkpoint(entries[3])
    rewritten = entries[:1] + chain(
        [Entry("forged", {"i": 99})] + [Entry(e.kind, {"i": e.seq}) for e in entries[2:]],
        _head(entries[:1]),
        T0,
    )
    report = verify_chain(rewritten, _head(rewritten), [signed], _always)
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (4, Reason.EDITED)


def test_a_checkpoint_beyond_the_log_means_entries_are_missing() -> None:
    entries = _log(4)
    shortened = entries[:2]
    found = _first_break(shortened, _head(shortened), [_checkpoint(entries[3])])
    assert found is not None and (found.seq, found.reason) == (3, Reason.MISSING)


def test_entry_hash_binds_every_field() -> None:
    base = entry_hash(1, T0, "k", "a" * 64, GENESIS.hash)
    assert (
        len(
            {
                base,
                entry_hash(2, T0, "k", "a" * 64, GENESIS.hash),
                entry_hash(1, T0 + timedelta(microseconds=1), "k", "a" * 64, GENESIS.hash),
                entry_hash(1, T0, "j", "a" * 64, GENESIS.hash),
                entry_hash(1, T0, "k", "b" * 64, GENESIS.hash),
                entry_hash(1, T0, "k", "a" * 64, "c" * 64),
            }
        )
        == 6
    )


def test_retention_cutoff_counts_whole_years_and_handles_leap_days() -> None:
    assert retention_cutoff(date(2026, 3, 1), 2) == date(2024, 3, 1)
    assert retention_cutoff(date(2028, 2, 29), 3) == date(2025, 2, 28)
