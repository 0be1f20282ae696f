from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from recoup.core.templates.sandbox import TemplateRejected, compile_template, environment


def _codes(source: str) -> set[str]:
    with pytest.raises(TemplateRejected) as caught:
        compile_template(source)
    return {p.code for p in caught.value.problems}


def test_text_variables_filters_and_if_are_allowed() -> None:
    compiled = compile_template(
        "{{ name|trim }}您好{% if currency == 'x' %}{% endif %}"
        "{{ amount ~ ' ' ~ currency|upper }}{% if dpd != '0' %}逾期{{ dpd }}天{% else %}未逾期{% endif %}"
    )
    text = compiled.render({"name": " 张三 ", "amount": "¥1.00", "currency": "cny", "dpd": "3"})
    assert text == "张三您好¥1.00 CNY逾期3天"
    assert compiled.pieces is None


def test_plain_templates_have_pieces_for_the_column_renderer() -> None:
    compiled = compile_template("Hello {{ name }}, {{ amount }}.\n")
    assert compiled.pieces == (
        (False, "Hello "),
        (True, "name"),
        (False, ", "),
        (True, "amount"),
        (False, ".\n"),
    )


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("{{ name.__class__ }}", "private_attribute"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "private_attribute"),
        ("{{ name['__class__'] }}", "private_attribute"),
        ("{{ name.upper }}", "attribute"),
        ("{{ name.upper() }}", "call"),
        ("{{ cycler.__init__.__globals__ }}", "private_attribute"),
        ("{{ self }}", "unknown_variable"),
        ("{{ config }}", "unknown_variable"),
        ("{% for x in name %}{{ x }}{% endfor %}", "tag"),
        ("{% set x = 1 %}", "tag"),
        ("{% include 'other' %}", "tag"),
        ("{% import 'x' as y %}", "tag"),
        ("{% macro m() %}{% endmacro %}", "tag"),
        ("{{ 'a' * 1000000000 }}", "operator"),
        ("{{ 9 ** 9 ** 9 }}", "operator"),
        ("{{ name|attr('__class__') }}", "filter"),
        ("{{ name|format('%s') }}", "filter"),
        ("{{ name is defined }}", "tag"),
        ("{{ name", "syntax"),
    ],
)
def test_anything_beyond_the_template_language_is_refused(source: str, code: str) -> None:
    assert code in _codes(source)


def test_the_refusal_names_the_line_and_the_attribute() -> None:
    with pytest.raises(TemplateRejected) as caught:
        compile_template("Hello\n{{ name }}\n{{ name.__class__ }}")
    [problem] = caught.value.problems
    assert problem.line == 3
    assert "__class__" in problem.message
    assert caught.value.field == "body"


def test_oversized_templates_are_refused() -> None:
    assert "too_long" in _codes("x" * 20_001)


def test_behind_the_first_wall_the_sandbox_still_refuses_internals() -> None:
    env = environment()
    assert env.globals == {}
    template = env.from_string("{{ name.__class__.__mro__ }}")
    with pytest.raises(SecurityError):
        template.render(name="张三")
