"""The linter measured on a labelled corpus (linter_corpus.jsonl: written before the patterns, half of it
compliant, with hard negatives and obfuscations), and its spans checked against the original text."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.compliance import CATEGORIES, lint
from recoup.core.compliance.linter import default_linter, has_wording


def _read(name: str) -> list[dict[str, object]]:
    return [
        json.loads(line) for line in (Path(__file__).parent / name).read_text(encoding="utf-8").splitlines()
    ]


# Written before the patterns (plus two later probes, tagged probe1/probe2, that the patterns were then
# tuned on): the in-sample measure.
CORPUS = _read("linter_corpus.jsonl")
# Written after the last tuning and never tuned on: the out-of-sample measure. Do not tune on it; write a
# new probe instead and move this one into the corpus.
UNSEEN = _read("linter_unseen.jsonl")


def _scores(rows: list[dict[str, object]]) -> dict[str, tuple[float, float, int]]:
    """Message-level (precision, recall, positives) per category and for 'any violation'."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in (*CATEGORIES, "overall")}
    for row in rows:
        expected = set(row["categories"])  # type: ignore[call-overload]
        found = {finding.category for finding in lint(str(row["text"]))}
        for name, truth, said in [(c, c in expected, c in found) for c in CATEGORIES] + [
            ("overall", bool(expected), bool(found))
        ]:
            counts[name]["tp" if truth and said else "fn" if truth else "fp" if said else "tn"] += 1
    scores = {}
    for name, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        scores[name] = (precision, recall, c["tp"] + c["fn"])
    return scores


def test_the_corpus_is_what_the_brief_asks_for() -> None:
    assert len(CORPUS) >= 300
    compliant = sum(1 for row in CORPUS if not row["categories"])
    assert abs(compliant - len(CORPUS) / 2) <= len(CORPUS) * 0.05
    per = Counter((row["language"], category) for row in CORPUS for category in row["categories"])
    assert all(per[(language, category)] >= 8 for language in ("zh", "en") for category in CATEGORIES)
    assert not {row["text"] for row in CORPUS} & {row["text"] for row in UNSEEN}
    assert sum(1 for row in CORPUS if "hard_negative" in row["tags"]) >= 40
    assert sum(1 for row in CORPUS if {"obfuscated", "traditional"} & set(row["tags"])) >= 35


def test_recall_and_precision_on_the_corpus() -> None:
    scores = _scores(CORPUS)
    table = "\n".join(
        f"{name:24s} precision {p:.3f} recall {r:.3f} (n={n})" for name, (p, r, n) in scores.items()
    )
    print("\n" + table)
    precision, recall, _ = scores["overall"]
    assert recall >= 0.98 and precision >= 0.95, table
    for name in CATEGORIES:
        assert scores[name][1] >= 0.9, table


def test_unseen_phrasings_precision_holds_and_recall_is_reported() -> None:
    scores = _scores(UNSEEN)
    precision, recall, positives = scores["overall"]
    print(f"\nunseen probe: precision {precision:.3f} recall {recall:.3f} (violations {positives})")
    assert precision >= 0.95  # recall on unseen phrasings is low and documented in docs/rulebooks.md


@pytest.mark.parametrize(
    ("text", "category", "span"),
    [
        ("再不还款就报-警抓你。", "false_authority", "报-警"),
        ("Pay up or I will k i l l you.", "threat", "k i l l you"),
        ("你這個無賴，快還錢。", "insult", "無賴"),
        ("Ｐａｙ ｎｏｗ or we'll burn your house down.", "threat", "burn your house"),
        ("sc@mmer: you're a pathetic sc@mmer", "insult", "you're a pathetic sc@mmer"),
        ("再不还钱就杀·了·你。", "threat", "杀·了"),
        (
            "卡号 ４１１１ １１１１ １１１１ １１１１ 已逾期",
            "sensitive_data",
            "４１１１ １１１１ １１１１ １１１１",
        ),
    ],
)
def test_spans_point_into_the_original_text(text: str, category: str, span: str) -> None:
    found = [finding for finding in lint(text) if finding.category == category]
    assert found, lint(text)
    assert text[found[0].start : found[0].end] == found[0].text == span


SEPARATORS = st.sampled_from([" ", "-", ".", "·", "*", "\u200b", "、", "  "])


@given(
    st.lists(SEPARATORS, min_size=1, max_size=1), st.sampled_from(["报警", "弄死", "曝光", "起诉", "黑名单"])
)
def test_separators_between_chinese_characters_do_not_hide_a_phrase(
    separator: list[str], phrase: str
) -> None:
    spaced = separator[0].join(phrase)
    text = f"您好，再不处理我们就{spaced}，请尽快。"
    findings = lint(text)
    assert findings
    start = text.index(spaced)
    assert any(f.start == start and f.end == start + len(spaced) for f in findings), findings


def test_numbers_that_are_not_personal_data_pass() -> None:
    for text in (
        "客服热线400-820-8888，手机13800138000。",
        "Call 1-800-555-0199 or +44 20 7946 0958.",
        "REF-2026-0042, amount 5,230.00",
    ):
        assert lint(text) == ()


def test_a_mistyped_chinese_id_number_is_still_personal_data() -> None:
    assert [f.category for f in lint("身份证号110105194912310021")] == ["sensitive_data"]


def test_debt_mentions_and_required_wording() -> None:
    linter = default_linter()
    assert linter.debt_mentions("请转告张三尽快还款")
    assert linter.debt_mentions("Please ask Sam to call us about his overdue balance")
    assert not linter.debt_mentions("请转告张三回电4008208888")
    assert has_wording("PRIVATE & CONFIDENTIAL - Dear Sam", [r"\bprivate (and|&) confidential\b"])
    assert not has_wording("Dear Sam", [r"\bprivate (and|&) confidential\b"])
