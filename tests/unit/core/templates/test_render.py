from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.templates.library import TemplateLibrary, TemplateSpec, builtin_library
from recoup.core.templates.render import render_messages
from recoup.core.templates.variables import context_frame

AGENCY, PHONE = "催收示例公司", "400-000-0000"
SCHEMA = {
    "template_id": pl.String,
    "jurisdiction": pl.String,
    "language": pl.String,
    "tone": pl.String,
    "creditor_id": pl.String,
    "debtor_name": pl.String,
    "account_id": pl.String,
    "balance": pl.Int64,
    "currency": pl.String,
    "dpd": pl.Int64,
    "due_on": pl.Date,
    "run_date": pl.Date,
    "offer_amount": pl.Int64,
    "offer_installments": pl.Int64,
    "offer_expires_on": pl.Date,
}


def _library() -> TemplateLibrary:
    library = builtin_library().merged(
        [
            # A template with logic renders row by row; the others become one concat_str per template.
            TemplateSpec(
                "reminder_sms",
                "sms",
                "zh",
                "【{{ agency }}】{{ name }}您好，我们受{{ creditor }}委托：{% if dpd == '0' %}未逾期{% else %}逾期{{ dpd }}天{% endif %}，"
                "{{ amount }}。回复TD退订",
                jurisdiction="CN",
                creditor_id="bank-logic",
            )
        ]
    )
    return library


rows = st.tuples(
    st.sampled_from(
        ["reminder_sms", "reminder_email", "reminder_letter", "offer_im", "no_such_template", None]
    ),
    st.sampled_from(["CN", "US", "UK", "EU", "US-NY"]),
    st.sampled_from(["zh", "en"]),
    st.sampled_from(["neutral", "empathetic", "firm", None]),
    st.sampled_from(["bank-a", "bank-logic", None]),
    st.one_of(st.none(), st.text(min_size=0, max_size=12)),
    st.text(alphabet="0123456789AB", min_size=0, max_size=10),
    st.one_of(st.none(), st.integers(min_value=-(10**12), max_value=10**12)),
    st.sampled_from(["CNY", "USD", "GBP", "EUR", "JPY"]),
    st.integers(min_value=0, max_value=400),
    st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1))),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
    st.one_of(st.none(), st.integers(min_value=1, max_value=36)),
    st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1))),
)


@settings(max_examples=60, deadline=None)
@given(data=st.lists(rows, max_size=25))
def test_column_rendering_equals_rendering_each_row_alone(data: list[tuple[object, ...]]) -> None:
    frame = pl.DataFrame(data, schema=SCHEMA, orient="row")
    library = _library()
    rendered = render_messages(frame, library, agency=AGENCY, phone=PHONE).to_list()
    contexts = context_frame(frame, AGENCY, PHONE).to_dicts()
    expected = []
    for row, context in zip(frame.to_dicts(), contexts, strict=True):
        entry = (
            library.find(
                row["template_id"], row["jurisdiction"], row["language"], row["tone"], row["creditor_id"]
            )
            if row["template_id"]
            else None
        )
        expected.append(entry.compiled.render(context) if entry else None)
    assert rendered == expected


def test_the_daily_run_frame_renders_builtin_wording() -> None:
    frame = pl.DataFrame(
        {
            "template_id": ["reminder_sms", "reminder_email", None],
            "jurisdiction": ["CN", "US", "CN"],
            "language": ["zh", "en", "zh"],
            "debtor_name": ["张三", "Alex", "李四"],
            "creditor_id": ["示例银行", "Example Bank", "x"],
            "account_id": ["6222000011112222", "A-77", "B"],
            "balance": [123450, 99900, 1],
            "currency": ["CNY", "USD", "CNY"],
        }
    )
    sms, email, nothing = render_messages(frame, builtin_library(), agency=AGENCY, phone=PHONE).to_list()
    assert (
        sms is not None
        and "张三您好" in sms
        and "¥1,234.50" in sms
        and "尾号2222" in sms
        and sms.endswith("回复TD退订")
    )
    assert email is not None and email.startswith("This is a communication from a debt collector.")
    assert "$999.00" in email
    assert nothing is None


def test_an_empty_frame_renders_an_empty_column() -> None:
    frame = pl.DataFrame(schema=SCHEMA)
    assert render_messages(frame, builtin_library(), agency=AGENCY, phone=PHONE).len() == 0
