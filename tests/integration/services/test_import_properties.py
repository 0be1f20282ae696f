"""Import is idempotent for any valid file, and a huge file with one bad row changes nothing."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.adapters.db.engine import connect
from recoup.adapters.db.migrate import migrate
from recoup.adapters.files.readers import read_table
from recoup.services.importing import ImportRejected
from recoup.sim.files import write_accounts
from recoup.sim.portfolio import generate_portfolio
from tests.integration.services.helpers import load_accounts, snapshot

HEADER = "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,jurisdiction,flags\n"

rows = st.lists(
    st.tuples(
        st.text(alphabet="ABCDEFGHJK0123456789", min_size=1, max_size=6),
        st.sampled_from(["bank-1", "银行二"]),
        st.sampled_from(["individual", "sme", "enterprise"]),
        st.sampled_from(["张三", "Li Si", "O'Brien, Ann"]),
        st.sampled_from(["CNY", "USD", "JPY"]),
        st.integers(min_value=0, max_value=10**9),
        st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 3, 1)),
        st.sampled_from(["CN", "US", "UK", "EU"]),
        st.sampled_from(["", "dispute", "vulnerable;complaint"]),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda row: (row[0], row[1]),
)


def _csv(spec: list[tuple]) -> str:  # type: ignore[type-arg]
    lines = []
    for account, creditor, kind, name, currency, minor, due, jurisdiction, flags in spec:
        amount = str(minor) if currency == "JPY" else f"{minor // 100}.{minor % 100:02d}"
        quoted = f'"{name}"' if "," in name else name
        lines.append(
            f"{account},{creditor},D-{account},{kind},{quoted},{currency},{amount},0,0,{due},{jurisdiction},{flags}"
        )
    return HEADER + "\n".join(lines) + "\n"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_importing_any_valid_file_twice_equals_importing_it_once(spec: list[tuple]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accounts.csv"
        path.write_text(_csv(spec), encoding="utf-8")
        db = connect(f"sqlite:///{Path(folder) / 'r.db'}")
        migrate(db)
        try:
            first = load_accounts(db, read_table(path).frame)
            once = snapshot(db)
            second = load_accounts(db, read_table(path).frame)
            assert first.inserted == len(spec) and second.inserted == 0
            assert snapshot(db) == once
        finally:
            db.dispose()


@pytest.mark.slow
def test_a_100_mb_file_with_one_bad_row_changes_nothing(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small = generate_portfolio(500, seed=1, as_of=date(2026, 3, 1))
    load_accounts(sqlite_db, read_table(write_accounts(small.accounts, tmp_path / "first.csv")).frame)
    before = snapshot(sqlite_db)

    big = generate_portfolio(340_000, seed=2, as_of=date(2026, 3, 1))
    path = write_accounts(big.accounts, tmp_path / "big.csv")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(path.read_text(encoding="utf-8").splitlines()[1].replace(",CNY,", ",XYZ,", 1) + "\n")
    assert path.stat().st_size > 100_000_000
    rows_in_file = sum(1 for _ in path.open(encoding="utf-8"))
    with pytest.raises(ImportRejected) as refused:
        load_accounts(sqlite_db, read_table(path).frame)
    assert f"row {rows_in_file}" in str(refused.value)
    assert snapshot(sqlite_db) == before
