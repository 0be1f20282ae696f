from __future__ import annotations

import pytest

from recoup.core.compliance import RulebookError, load_rulebooks
from recoup.core.compliance.rulebook import FrequencyParams, HoursParams, rulebooks_from_documents
from recoup.core.errors import ValidationError


def test_shipped_rulebooks_load_with_stable_unique_ids_and_citations() -> None:
    books = load_rulebooks()
    assert books.jurisdictions == ("CN", "EU", "UK", "US", "US-NY")
    for book in books.books.values():
        ids = [rule.id for rule in book.rules]
        assert len(ids) == len(set(ids))
        assert all(rule.citation for rule in book.rules)
        assert len(book.content_hash) == 64 and book.version


def test_the_contract_rule_id_is_there() -> None:
    rule = load_rulebooks().get("US").rule("US.1006.6.b.1.i")
    assert rule.citation == "12 CFR 1006.6(b)(1)(i)"
    assert isinstance(rule.params, HoursParams)


def test_new_york_inherits_federal_rules_and_adds_its_own() -> None:
    books = load_rulebooks()
    federal = {rule.id for rule in books.get("US").rules}
    new_york = {rule.id for rule in books.get("US-NY").rules}
    assert federal < new_york and "US-NY.GBL.601.6" in new_york
    assert books.get("US-NY").zones == ("America/New_York",)


def test_a_subdivision_without_a_file_uses_its_country_and_unknown_codes_are_refused() -> None:
    books = load_rulebooks()
    assert books.get("US-TX").jurisdiction == "US"
    for code in ("XX", "US-ZZ"):
        with pytest.raises(ValidationError) as caught:
            books.get(code)
        assert caught.value.field == "jurisdiction"


def test_a_creditor_may_tighten_rules() -> None:
    books = load_rulebooks().with_overrides(
        """
creditor: BANK-1
version: "3"
overrides:
  CN:
    CN.hours: {params: {start: "09:00", end: "20:00"}}
    CN.sms.daily: {params: {limit: 1}}
    CN.hold.vulnerable: {severity: block}
    CN.consent: {params: {defaults: {sms: false}}}
"""
    )
    cn = books.get("CN")
    hours = cn.rule("CN.hours").params
    assert (
        isinstance(hours, HoursParams)
        and hours.start == 9 * 3_600_000_000
        and hours.end == 20 * 3_600_000_000
    )
    sms = cn.rule("CN.sms.daily").params
    assert isinstance(sms, FrequencyParams) and sms.limit == 1
    assert cn.rule("CN.hold.vulnerable").severity == "block"
    assert cn.version == "2026.1+BANK-1.3"
    assert cn.content_hash != load_rulebooks().get("CN").content_hash
    assert books.get("US") == load_rulebooks().get("US")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("CN.hours: {params: {end: '23:00'}}", "params.end"),
        ("CN.hours: {params: {start: '07:00'}}", "params.start"),
        ("CN.calls.connected: {params: {limit: 4}}", "params.limit"),
        (
            "CN.hold.vulnerable: {severity: warn}\n    CN.hold.cease: {severity: warn}",
            "severity block -> warn",
        ),
        ("CN.hours: {channels: [call]}", "channels must keep"),
        ("CN.consent: {params: {defaults: {im: true}}}", "params.defaults"),
        ("CN.third_party.unreachable: {params: {failed_calls: 2}}", "params.failed_calls"),
        (
            "CN.hold.deceased: {params: {allowed_recipients: [attorney, guarantor, family]}}",
            "allowed_recipients",
        ),
        ("CN.retention: {params: {years: 1}}", "params.years"),
    ],
)
def test_an_override_looser_than_the_law_is_refused_with_a_clear_error(override: str, message: str) -> None:
    with pytest.raises(RulebookError) as caught:
        load_rulebooks().with_overrides(f"creditor: C\noverrides:\n  CN:\n    {override}\n")
    assert "looser than the law" in caught.value.message and message in caught.value.message
    assert caught.value.field is not None and caught.value.field.startswith("overrides.CN")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("overrides: {CN: {CN.nothing: {severity: block}}}", "no rule 'CN.nothing'"),
        ("overrides: {XX: {}}", "no rulebook 'XX'"),
        ("overrides: {CN: {CN.hours: {citation: none}}}", "unknown key"),
        ("overrides: {CN: {CN.hours: {params: {lunch: '12:00'}}}}", "unknown key"),
        ("rules: {CN: [{id: CN.hours, kind: hold, citation: x, params: {flag: cease}}]}", "used twice"),
        (
            "rules: {CN: [{id: C.visits, kind: hours, citation: x, params: {start: '09:00', end: '18:00'}}]}",
            "two hours rules",
        ),
    ],
)
def test_malformed_overrides_are_refused(document: str, fragment: str) -> None:
    with pytest.raises(RulebookError) as caught:
        load_rulebooks().with_overrides(document)
    assert fragment in caught.value.message


def test_a_creditor_may_add_a_rule() -> None:
    books = load_rulebooks().with_overrides(
        "rules: {CN: [{id: BANK-1.no-visits, kind: hold, channels: [visit], citation: 'creditor policy', params: {flag: complaint}}]}"
    )
    assert books.get("CN").rules[-1].id == "BANK-1.no-visits"


def test_rulebook_documents_are_validated() -> None:
    bad = {
        "X.yaml": {"jurisdiction": "XX", "zones": ["Mars/Base"], "rules": []},
    }
    with pytest.raises(RulebookError) as caught:
        rulebooks_from_documents(bad)
    assert "zones[0]" in (caught.value.field or "")
    orphan = {"C.yaml": {"jurisdiction": "XX-A", "inherits": "ZZ", "zones": ["UTC"], "rules": []}}
    with pytest.raises(RulebookError):
        rulebooks_from_documents(orphan)
    uncited = {
        "X.yaml": {"jurisdiction": "XX", "zones": ["UTC"], "rules": [{"id": "X.a", "kind": "opt_out"}]}
    }
    with pytest.raises(RulebookError) as caught:
        rulebooks_from_documents(uncited)
    assert "citation" in caught.value.message


def test_content_hash_follows_content_only() -> None:
    document = {
        "jurisdiction": "XX",
        "zones": ["UTC"],
        "rules": [{"id": "X.a", "kind": "opt_out", "citation": "law"}],
    }
    first = rulebooks_from_documents({"X.yaml": document}).get("XX").content_hash
    again = rulebooks_from_documents({"other-name.yaml": dict(document)}).get("XX").content_hash
    changed = (
        rulebooks_from_documents(
            {"X.yaml": {**document, "rules": [{"id": "X.a", "kind": "opt_out", "citation": "law, amended"}]}}
        )
        .get("XX")
        .content_hash
    )
    assert first == again != changed
