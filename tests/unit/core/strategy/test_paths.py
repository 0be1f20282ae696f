from __future__ import annotations

import textwrap

import pytest

from recoup.core.errors import ValidationError
from recoup.core.strategy.paths import (
    DEFAULT_SOURCE,
    PlaybookError,
    default_playbook,
    parse_playbook,
    playbooks_by_creditor,
)

HEAD = """
name: acme
version: 3
creditor_id: bank-1
guardrails:
  max_discount_pct: 20
  max_installments: 12
  offer_valid_days: 10
  affordability_pct: 25
  min_installment: {CNY: "50.00"}
costs:
  CNY: {sms: "0.05", email: "0.01", im: "0.01", letter: "2.00", call: "2.00", visit: "50.00", legal_review: "100.00"}
"""


def _doc(paths: str, head: str = HEAD) -> str:
    return textwrap.dedent(head) + "paths:\n" + textwrap.indent(textwrap.dedent(paths), "  ")


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "creditors/acme.yaml")
    assert caught.value.file == "creditors/acme.yaml"
    assert "creditors/acme.yaml" in str(caught.value)
    return dict(caught.value.problems)


GOOD = """
- id: gentle
  segments: [able_willing]
  exit_when: [open_promise]
  steps:
    - {id: remind, action: sms, template: reminder_sms, tone: neutral, dpd: [1, 30], wait_days: 3}
    - id: plan
      action: offer
      channel: email
      template: offer_email
      tone: neutral
      dpd: [31, null]
      offer: {kind: settlement, max_discount_pct: 15}
      when: {balance_bands: [large], buckets: [M2, M3]}
"""


def test_a_valid_playbook_parses_with_money_in_minor_units() -> None:
    book = parse_playbook(_doc(GOOD), "creditors/acme.yaml")
    assert book.label == "acme@v3"
    assert book.creditor_id == "bank-1"
    assert book.guardrails.min_installment == {"CNY": 5000}
    assert book.costs["CNY"]["visit"] == 5000
    step = book.paths[0].steps[1]
    assert (step.action, step.channel, step.offer.kind, step.offer.max_discount_pct) == (
        "offer",
        "email",
        "settlement",
        15,
    )
    assert (step.dpd_from, step.dpd_to) == (31, None)
    assert step.when.buckets == ("M2", "M3")
    assert book.paths[0].steps[0].channel == "sms"


def test_the_shipped_default_loads_through_package_resources() -> None:
    book = default_playbook()
    assert book.source == DEFAULT_SOURCE
    assert book.creditor_id == "*"
    segments = {segment for path in book.paths for segment in path.segments}
    assert segments == {"able_willing", "able_unwilling", "unable_willing", "unable_unwilling", "vulnerable"}


def test_every_problem_is_reported_at_once_with_the_path_of_its_key() -> None:
    bad = """
    - id: p
      segments: [able_willing, hold]
      steps:
        - {id: s, action: sms, tone: harsh, dpd: [10, 5], tones: x}
        - {id: s, action: legal_review, channel: letter, tone: neutral, dpd: [1, null]}
        - {id: t, action: call, tone: neutral, dpd: [1, null], offer: installment}
    """
    problems = _problems(_doc(bad))
    assert problems["paths[0].segments"] == "accounts on hold get no collection action; remove 'hold'"
    assert problems["paths[0].steps[0].tone"] == "must be one of neutral, empathetic, firm; got 'harsh'"
    assert problems["paths[0].steps[0].dpd"] == "ends (5) before it starts (10)"
    assert problems["paths[0].steps[0].tones"].startswith("unknown key; expected one of id, action")
    assert problems["paths[0].steps[0].template"] == "is required for a step that sends a sms"
    assert problems["paths[0].steps[1].channel"] == "a legal review is not a contact and has no channel"
    assert problems["paths[0].steps[1].id"] == "duplicate step id 's'"
    assert "only an offer step" in problems["paths[0].steps[2].offer"]


@pytest.mark.parametrize(
    ("step", "key", "message"),
    [
        (
            "{id: s, action: call, tone: firm, dpd: [1, null]}",
            "tone",
            "'firm' is not allowed on a path for vulnerable",
        ),
        (
            "{id: s, action: visit, tone: empathetic, dpd: [1, null]}",
            "action",
            "'visit' is not allowed on a path",
        ),
        (
            "{id: s, action: legal_review, tone: neutral, dpd: [1, null]}",
            "action",
            "'legal_review' is not allowed",
        ),
    ],
)
def test_forbearance_paths_refuse_pressure(step: str, key: str, message: str) -> None:
    text = _doc(f"- id: care\n  segments: [vulnerable]\n  steps:\n    - {step}\n")
    problems = _problems(text)
    assert message in problems[f"paths[0].steps[0].{key}"]


def test_hardship_is_a_forbearance_segment_too() -> None:
    text = _doc(
        "- id: h\n  segments: [unable_willing]\n  steps:\n    - {id: s, action: sms, template: t, tone: firm, dpd: [1, null]}\n"
    )
    assert "unable_willing (forbearance only)" in _problems(text)["paths[0].steps[0].tone"]


def test_money_must_be_quoted_decimal_text_and_currencies_must_match() -> None:
    head = HEAD.replace(
        'min_installment: {CNY: "50.00"}', 'min_installment: {CNY: "50.00", USD: "1.234"}'
    ).replace('visit: "50.00"', "visit: 50.0")
    problems = _problems(_doc(GOOD, head))
    assert problems["guardrails.min_installment.USD"] == "'1.234' has 3 decimals; USD has 2"
    assert problems["costs.CNY.visit"].startswith("must be decimal text in quotes")
    assert "differ from those of guardrails.min_installment" in problems["costs"]


def test_step_discount_may_only_tighten_the_guardrail() -> None:
    text = _doc(GOOD.replace("max_discount_pct: 15", "max_discount_pct: 40"))
    assert _problems(text)["paths[0].steps[1].offer.max_discount_pct"] == "must be between 0 and 20; got 40"


def test_broken_yaml_and_wrong_shapes_are_reported() -> None:
    assert "is not valid YAML" in _problems("paths: [")["(document)"]
    assert _problems("- just a list")[""] == "must be a mapping, got a list"
    problems = _problems(_doc("[]"))
    assert problems["paths"] == "must be a non-empty list of paths, got a list"


def test_the_error_names_file_and_first_key_for_the_api() -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(_doc(GOOD).replace("version: 3", "version: zero"), "acme.yaml")
    assert caught.value.field == "version"
    assert caught.value.located() == "acme.yaml, column version: " + caught.value.message
    assert isinstance(caught.value, ValidationError)


def test_two_playbooks_for_one_creditor_are_refused() -> None:
    book = parse_playbook(_doc(GOOD), "a.yaml")
    assert playbooks_by_creditor([book, default_playbook()])["bank-1"] is book
    with pytest.raises(ValidationError, match="two playbooks for creditor 'bank-1'"):
        playbooks_by_creditor([book, book])


def test_contact_limits_are_optional_and_checked() -> None:
    assert parse_playbook(_doc(GOOD)).min_gap_days == 0
    limited = parse_playbook(_doc(GOOD, HEAD + "limits: {max_contacts_7d: 3, min_gap_days: 2}\n"))
    assert (limited.max_contacts_7d, limited.min_gap_days) == (3, 2)
    problems = _problems(_doc(GOOD, HEAD + "limits: {min_gap_days: -1, every: 2}\n"))
    assert "between 0 and 365" in problems["limits.min_gap_days"]
    assert "unknown key" in problems["limits.every"]
