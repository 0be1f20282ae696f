"""`recoup compliance check` (the sub-app, driven through Typer's runner)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from recoup.entrypoints.cli.compliance import app

runner = CliRunner()

LATE = {
    "id": "late",
    "jurisdiction": "US",
    "channel": "call",
    "at": "2026-03-02T21:30:00-05:00",
    "account": {"account_id": "X1", "debtor_id": "D1", "timezones": ["America/New_York"]},
}
FINE = {**LATE, "id": "fine", "at": "2026-03-02T10:00:00-05:00"}


def write_lines(path: Path, *lines: object) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def test_check_writes_one_decision_per_line_in_order(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "attempts.jsonl", LATE, "", FINE)
    target = tmp_path / "decisions.jsonl"
    result = runner.invoke(app, ["check", "--in", str(source), "--out", str(target)])
    assert result.exit_code == 0, result.output
    decisions = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in decisions] == ["late", "fine"]
    assert decisions[0]["violations"][0]["rule"] == "US.1006.6.b.1.i"
    assert decisions[0]["next_allowed_at"] == "2026-03-03T08:00:00-05:00"
    assert decisions[1]["allowed"] is True


def test_a_bad_line_names_file_line_and_field_and_writes_nothing(tmp_path: Path) -> None:
    bad = {**FINE, "account": {**FINE["account"], "timezones": ["America/New_York", "Mars/Olympus"]}}
    source = write_lines(tmp_path / "attempts.jsonl", FINE, bad)
    target = tmp_path / "decisions.jsonl"
    result = runner.invoke(app, ["check", "--in", str(source), "--out", str(target)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(source) in lines[0] and "line 2" in lines[0] and "account.timezones[1]" in lines[0]
    assert not target.exists()


def test_not_json_and_not_utf8(tmp_path: Path) -> None:
    broken = write_lines(tmp_path / "broken.jsonl", FINE, "{not json")
    result = runner.invoke(app, ["check", "--in", str(broken), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1 and "line 2" in result.stderr and "not JSON" in result.stderr
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(json.dumps({**FINE, "id": "中文"}, ensure_ascii=False).encode("gbk"))
    result = runner.invoke(app, ["check", "--in", str(gbk), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1 and "not UTF-8" in result.stderr


def test_a_missing_input_file_is_a_user_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["check", "--in", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 1 and "nope.jsonl" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["check", "--in", str(tmp_path / "a.jsonl")]).exit_code == 2
    assert runner.invoke(app, ["check", "--bogus"]).exit_code == 2


def test_creditor_overrides_tighten_and_looser_ones_are_refused(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "attempts.jsonl", {**FINE, "at": "2026-03-02T20:30:00-05:00"})
    target = tmp_path / "decisions.jsonl"
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(
        "creditor: B\noverrides:\n  US:\n    US.1006.6.b.1.i: {params: {end: '20:00'}}\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["check", "--in", str(source), "--out", str(target), "--overrides", str(stricter)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["allowed"] is False
    looser = tmp_path / "looser.yaml"
    looser.write_text(
        "creditor: B\noverrides:\n  US:\n    US.1006.6.b.1.i: {params: {end: '22:00'}}\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["check", "--in", str(source), "--out", str(target), "--overrides", str(looser)]
    )
    assert result.exit_code == 1 and "looser than the law" in result.stderr and "looser.yaml" in result.stderr
