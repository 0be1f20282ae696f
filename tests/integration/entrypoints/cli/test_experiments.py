"""`recoup experiment ...`, `recoup playbook ...` and `recoup report --experiments` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from recoup.entrypoints.cli.app import app as cli

DEFAULT_YAML = Path(__file__).resolve().parents[4] / "src/recoup/core/strategy/paths/default.yaml"


def test_the_experiment_lifecycle_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exp.db'}"
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, ["--db", url, "--quiet", *args])

    simulated = run(
        "simulate", "--accounts", "300", "--days", "3", "--strategy", "default", "--holdout", "10"
    )
    assert simulated.exit_code == 0, simulated.output

    readout = run("report", "--experiments", "--date", "2026-03-04", "--json")
    assert readout.exit_code == 0, readout.output
    (sim,) = json.loads(readout.output)
    assert sim["experiment"] == "sim-7" and sim["status"] == "running"
    assert {row["variant"] for row in sim["arms"]} == {"champion", "holdout"}
    assert {row["metric"] for row in sim["arms"]} == {"recovered", "net", "cost", "cured", "complaints"}
    assert all(row["lo"] <= row["mean"] <= row["hi"] for row in sim["arms"])
    table = run("report", "--experiments", "--date", "2026-03-04")
    assert table.exit_code == 0 and "holdout" in table.output and "interval" in table.output

    busy = run("experiment", "start", "second", "--date", "2026-03-05")
    assert busy.exit_code == 1 and "sim-7 is running" in busy.output
    assert run("experiment", "stop", "sim-7", "--date", "2026-03-04").exit_code == 0

    challenger = tmp_path / "bolder.yaml"
    challenger.write_text(
        DEFAULT_YAML.read_text(encoding="utf-8").replace("name: default", "name: bolder", 1)
    )
    started = run(
        "experiment",
        "start",
        "offers",
        "--holdout",
        "5",
        "--challenger",
        f"{challenger}=20",
        "--date",
        "2026-03-05",
    )
    assert started.exit_code == 0, started.output
    assert "champion 75%, challenger-1 20%, holdout 5%" in started.output
    listed = json.loads(run("experiment", "list", "--json").output)
    assert [(e["id"], e["status"]) for e in listed] == [("sim-7", "stopped"), ("offers", "running")]

    refused = run(
        "experiment",
        "promote",
        "offers",
        "--arm",
        "challenger-1",
        "--approved-by",
        "lead",
        "--reason",
        "try",
        "--date",
        "2026-03-05",
    )
    assert refused.exit_code == 1 and "does not beat the champion" in refused.output
    forced = run(
        "experiment",
        "promote",
        "offers",
        "--arm",
        "challenger-1",
        "--approved-by",
        "lead",
        "--reason",
        "pilot",
        "--date",
        "2026-03-05",
        "--force",
    )
    assert forced.exit_code == 0, forced.output
    assert "bolder@v2 is now the champion" in forced.output
    books = json.loads(run("playbook", "list", "--json").output)
    assert [(b["name"], b["status"]) for b in books] == [("bolder", "champion")]
    assert run("audit", "verify").exit_code == 0


def test_bad_input_is_named_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, ["--db", url, "--quiet", *args])

    broken = tmp_path / "broken.yaml"
    broken.write_text(DEFAULT_YAML.read_text(encoding="utf-8").replace("tone: neutral", "tone: harsh", 1))
    cases = [
        (("experiment", "start", "x", "--holdout", "120"), 2, "--holdout"),
        (("experiment", "start", "x", "--holdout", "abc"), 2, "not a percentage"),
        (("experiment", "start", "x", "--challenger", "file.yaml"), 2, "FILE=PERCENT"),
        (("experiment", "start", "x", "--challenger", f"{tmp_path / 'none.yaml'}=10"), 1, "none.yaml"),
        (("experiment", "start", "x", "--challenger", f"{broken}=10"), 1, "tone"),
        (("experiment", "start", "bad id"), 1, "experiment id"),
        (("experiment", "stop", "nope"), 1, "no experiment 'nope'"),
        (("report", "--experiments", "--experiment", "nope"), 1, "no experiment 'nope'"),
        (("playbook", "load", str(broken)), 1, "broken.yaml"),
        (("experiment", "start", "x", "--date", "2026-13-01"), 2, "not a date"),
    ]
    for args, code, message in cases:
        result = run(*args)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output, (args, result.output)
    assert json.loads(run("experiment", "list", "--json").output) == []
    assert json.loads(run("playbook", "list", "--json").output) == []
