from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.adapters.channels.signing import (
    SignatureRejected,
    form_body,
    params_signature,
    percent_encode,
    sign_body,
    sign_params,
    string_to_sign,
    verify_body,
    verify_params,
)

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_the_documented_cloud_sms_example_signs_to_its_published_value() -> None:
    # Alibaba Cloud's RPC signature documentation example (AccessKeySecret "testsecret", GET).
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert string_to_sign(params, "GET") == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert params_signature(params, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_rfc_3986() -> None:
    text = string_to_sign({"A": "a b*c~d/中"})
    assert "a%2520b%252Ac~d%252F%25E4%25B8%25AD" in text


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), max_size=6))
def test_signed_params_verify_and_any_change_breaks_them(extra: dict[str, str]) -> None:
    params = {
        k: v
        for k, v in extra.items()
        if k
        not in {
            "Signature",
            "AccessKeyId",
            "SignatureNonce",
            "Timestamp",
            "SignatureMethod",
            "SignatureVersion",
        }
    }
    signed = sign_params(params, access_key_id="id", secret="s3cret", now=NOW)
    assert verify_params(signed, secrets={"id": "s3cret"}, now=NOW).nonce == signed["SignatureNonce"]
    tampered = {**signed, "Messages": signed.get("Messages", "") + "x"}
    with pytest.raises(SignatureRejected):
        verify_params(tampered, secrets={"id": "s3cret"}, now=NOW)


def test_params_are_refused_unsigned_with_an_unknown_key_stale_or_from_the_future() -> None:
    signed = sign_params({"Replies": "[]"}, access_key_id="id", secret="s", now=NOW)
    unsigned = {k: v for k, v in signed.items() if k != "Signature"}
    for params, secrets, now, reason in [
        (unsigned, {"id": "s"}, NOW, "unsigned"),
        (signed, {"other": "s"}, NOW, "unknown AccessKeyId"),
        (signed, {"id": "wrong"}, NOW, "does not match"),
        (signed, {"id": "s"}, NOW + timedelta(minutes=6), "outside"),
        (signed, {"id": "s"}, NOW - timedelta(minutes=6), "outside"),
    ]:
        with pytest.raises(SignatureRejected, match=reason):
            verify_params(params, secrets=secrets, now=now)


def test_body_signatures() -> None:
    body = b'{"receipts": []}'
    headers = sign_body(body, secret="k", now=NOW, nonce="n1")
    assert verify_body(headers, body, secret="k", now=NOW).nonce == "n1"
    lower = {k.lower(): v for k, v in headers.items()}
    assert verify_body(lower, body, secret="k", now=NOW).nonce == "n1"
    with pytest.raises(SignatureRejected, match="does not match"):
        verify_body(headers, body + b" ", secret="k", now=NOW)
    with pytest.raises(SignatureRejected, match="unsigned"):
        verify_body({}, body, secret="k", now=NOW)
    with pytest.raises(SignatureRejected, match="outside"):
        verify_body(headers, body, secret="k", now=NOW + timedelta(hours=1))


@given(st.text())
def test_percent_encoding_is_urllib_quote_with_tilde_safe(value: str) -> None:
    from urllib.parse import quote

    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are not text a message can carry
    assert percent_encode(value) == quote(value, safe="~")


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=5))
def test_form_bodies_parse_back(params: dict[str, str]) -> None:
    from urllib.parse import parse_qsl

    clean = {k: v for k, v in params.items() if _encodable(k) and _encodable(v)}
    assert dict(parse_qsl(form_body(clean).decode(), keep_blank_values=True)) == clean


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
