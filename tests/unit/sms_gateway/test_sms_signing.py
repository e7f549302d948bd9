"""The RPC signature (version 1.0, HMAC-SHA1) as Alibaba's documentation computes it, and
as an attacker would try to get around it."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from alibabacloud_tea_openapi.utils import Utils

from simulators.sms import signing

# The example of Alibaba Cloud SMS's signature documentation (AccessKey testId / testSecret).
DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOC_CANONICAL = (
    "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001"
    "&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B"
    "%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1"
    "&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
    "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
    "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
)
DOC_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_documented_example_gives_the_documented_string_to_sign_and_signature() -> None:
    assert signing.string_to_sign("GET", DOC_PARAMS) == "GET&%2F&" + quote(DOC_CANONICAL, safe="")
    assert signing.signature("GET", DOC_PARAMS, "testSecret") == DOC_SIGNATURE
    assert signing.matches("GET", {**DOC_PARAMS, "Signature": DOC_SIGNATURE}, "testSecret")


def test_the_official_client_signs_exactly_as_the_simulator_verifies() -> None:
    params = dict(DOC_PARAMS, TemplateParam='{"code":"012345"}', SignName="示范 医院*~+")
    assert Utils.get_rpcsignature(params, "POST", "s3cret") == signing.signature(
        "POST", params, "s3cret"
    )


@pytest.mark.parametrize(
    ("text", "encoded"),
    [(" ", "%20"), ("*", "%2A"), ("~", "~"), ("+", "%2B"), ("/", "%2F"), ("a-_.Z9", "a-_.Z9")],
)
def test_percent_encoding_is_rfc3986_with_tilde_unreserved(text: str, encoded: str) -> None:
    assert signing.percent_encode(text) == encoded


@pytest.mark.parametrize("name", ["PhoneNumbers", "TemplateParam", "SignatureNonce", "Timestamp"])
def test_any_parameter_changed_after_signing_breaks_the_signature(name: str) -> None:
    signed = {**DOC_PARAMS, "Signature": DOC_SIGNATURE}
    signed[name] = signed[name] + "0"
    assert not signing.matches("GET", signed, "testSecret")


def test_a_parameter_added_after_signing_breaks_the_signature() -> None:
    signed = {**DOC_PARAMS, "Signature": DOC_SIGNATURE, "OutId2": "x"}
    assert not signing.matches("GET", signed, "testSecret")


def test_a_get_signature_does_not_pass_for_a_post_nor_under_another_secret() -> None:
    signed = {**DOC_PARAMS, "Signature": DOC_SIGNATURE}
    assert not signing.matches("POST", signed, "testSecret")
    assert not signing.matches("GET", signed, "testSecret2")


@pytest.mark.parametrize("forged", ["", "not base64", base64.b64encode(b"\0" * 20).decode()])
def test_a_forged_or_missing_signature_never_matches(forged: str) -> None:
    assert not signing.matches("GET", {**DOC_PARAMS, "Signature": forged}, "testSecret")


def test_a_signed_request_carries_the_common_parameters_and_verifies() -> None:
    params = signing.signed_request("POST", {"Action": "SendSms"}, "AK", "SK")
    assert params["SignatureMethod"] == "HMAC-SHA1" and params["SignatureVersion"] == "1.0"
    assert params["Timestamp"].endswith("Z") and params["Version"] == "2017-05-25"
    assert signing.matches("POST", params, "SK")
    again = signing.signed_request("POST", {"Action": "SendSms"}, "AK", "SK")
    assert again["SignatureNonce"] != params["SignatureNonce"]
