from __future__ import annotations

import pytest

from recoup.core.errors import ValidationError
from recoup.core.schema import JURISDICTIONS
from recoup.core.templates.check import check_template
from recoup.core.templates.library import TONES, TemplateLibrary, TemplateSpec, builtin_library, builtin_specs
from recoup.core.templates.linting import rulebook_linter

BUILTINS = builtin_specs()


def test_builtins_cover_every_jurisdiction_language_tone_and_channel() -> None:
    keys = {(s.template_id, s.jurisdiction, s.language, s.tone) for s in BUILTINS}
    for template_id in (
        "reminder_sms",
        "reminder_email",
        "reminder_im",
        "reminder_letter",
        "offer_sms",
        "offer_email",
    ):
        for jurisdiction in JURISDICTIONS:
            for language in ("zh", "en"):
                for tone in TONES:
                    assert (template_id, jurisdiction, language, tone) in keys


@pytest.mark.parametrize("spec", BUILTINS, ids=lambda s: "-".join(str(k) for k in s.key[:4]))
def test_every_builtin_passes_the_checks_a_saved_template_must_pass(spec: TemplateSpec) -> None:
    checked = check_template(spec, linter=rulebook_linter(), agency="催收示例公司", phone="400-000-0000")
    assert checked.ok, [str(p) for p in checked.problems]
    assert checked.warnings == ()
    assert checked.compiled is not None and checked.compiled.pieces is not None  # column-rendered


def test_tones_differ() -> None:
    library = builtin_library()
    texts = {library.find("reminder_sms", "CN", "zh", tone).spec.body for tone in TONES}  # type: ignore[union-attr]
    assert len(texts) == 3


def test_find_prefers_the_creditor_then_the_tone_then_neutral() -> None:
    library = TemplateLibrary()
    agency_wide = TemplateSpec("t_sms", "sms", "zh", "通用 {{ name }}", jurisdiction="CN")
    own = TemplateSpec("t_sms", "sms", "zh", "专属 {{ name }}", jurisdiction="CN", creditor_id="bank-a")
    firm = TemplateSpec("t_sms", "sms", "zh", "坚定 {{ name }}", tone="firm", jurisdiction="CN")
    for spec in (agency_wide, own, firm):
        library.add(spec)
    assert library.find("t_sms", "CN", "zh", "neutral", "bank-a").spec is own  # type: ignore[union-attr]
    assert library.find("t_sms", "CN", "zh", "firm", "bank-b").spec is firm  # type: ignore[union-attr]
    assert library.find("t_sms", "CN", "zh", "empathetic", None).spec is agency_wide  # type: ignore[union-attr]
    assert library.find("t_sms", "US", "zh") is None
    assert library.find("t_sms", "CN", "en") is None


def test_a_subnational_jurisdiction_falls_back_to_its_country() -> None:
    entry = builtin_library().find("reminder_sms", "US-NY", "en")
    assert entry is not None and entry.spec.jurisdiction == "US"


def test_saved_templates_override_builtins_without_changing_them() -> None:
    base = builtin_library()
    mine = TemplateSpec("reminder_sms", "sms", "zh", "【{{ agency }}】新文案 {{ name }}", jurisdiction="CN")
    merged = base.merged([mine])
    assert merged.find("reminder_sms", "CN", "zh").spec is mine  # type: ignore[union-attr]
    assert base.find("reminder_sms", "CN", "zh").spec is not mine  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"language": "fr"}, "language"),
        ({"tone": "angry"}, "tone"),
        ({"jurisdiction": "XX"}, "jurisdiction"),
        ({"product": "yacht"}, "product"),
        ({"template_id": "bad id!"}, "template_id"),
    ],
)
def test_a_spec_outside_the_vocabularies_is_refused(changes: dict[str, str], field: str) -> None:
    values = {"template_id": "t", "channel": "sms", "language": "zh", "body": "x", **changes}
    with pytest.raises(ValidationError) as caught:
        TemplateSpec(**values)  # type: ignore[arg-type]
    assert caught.value.field == field
