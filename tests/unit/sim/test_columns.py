import numpy as np
import polars as pl

from recoup.sim.columns import assemble, choose, concat, groups, number_text, pick


def test_groups_cover_every_row_once_in_code_order():
    codes = np.array([2, 0, 2, 1, 0])
    found = list(groups(codes))
    assert [code for code, _ in found] == [0, 1, 2]
    assert sorted(np.concatenate([rows for _, rows in found]).tolist()) == list(range(5))
    assert all((codes[rows] == code).all() for code, rows in found)


def test_assemble_restores_row_order_and_leaves_uncovered_rows_null():
    pieces = [(np.array([3, 0]), pl.Series(["d", "a"])), (np.array([1]), pl.Series(["b"]))]
    assert assemble(pieces, 5).to_list() == ["a", "b", None, "d", None]


def test_text_helpers():
    assert pick(("x", "y"), np.array([1, 1, 0])).to_list() == ["y", "y", "x"]
    assert choose(np.array([True, False]), pl.Series(["a", "b"])).to_list() == ["a", None]
    assert number_text(np.array([7, 123]), 4).to_list() == ["0007", "0123"]
    assert concat("+", pl.Series(["86", "1"]), pl.Series(["1", "2"])).to_list() == ["+861", "+12"]
