"""The strict reader every request body goes through: what an attacker sends to break a
JSON reader is one JsonRefused with a Chinese reason, and what we send still reads."""

from __future__ import annotations

import pytest

from envelope import codes
from envelope.decoding import MAX_DEPTH, JsonRefused, loads
from envelope.verify import parse


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 1_000 + b"]" * 1_000, "嵌套过深"),
        (b"[" * 100_000, "嵌套过深"),
        (b'{"a":' * 1_000 + b"0" + b"}" * 1_000, "嵌套过深"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "嵌套过深"),
        (b'"\\udc80"', "无法编码"),
        (b'{"\\ud800":1}', "无法编码"),
        (b'"\xed\xb2\x80"', "字符编码"),
        (b'"\xc0\xaf"', "字符编码"),
        (b'"\xe4\xb8"', "字符编码"),
        (b"\x80", "字符编码"),
        (b"\xfe\xff", "字符编码"),
        (b'"\xed\xa0\x80"', "字符编码"),
        (b'"\xf4\x90\x80\x80"', "字符编码"),
        (b"1" + b"0" * 5_000, "整数超出范围"),
        (str(2**63).encode(), "整数超出范围"),
        (b'{"amount_fen":-9223372036854775809}', "整数超出范围"),
        (b"1e400", "数值超出范围"),
        (b"NaN", "非法数值"),
        (b"[-Infinity]", "非法数值"),
        (b'{"a":1,"a":2}', "重复的字段名"),
        (b"{broken", "格式错误"),
        (b"", "格式错误"),
    ],
)
def test_hostile_json_is_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(JsonRefused, match=reason):
        loads(raw)


def test_what_our_services_send_still_reads() -> None:
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert loads(nested) is not None
    assert loads('{"name":"张伟","emoji":"\\ud83d\\ude00"}'.encode()) == {
        "name": "张伟",
        "emoji": "\U0001f600",
    }
    assert loads(b"[-0, 9223372036854775807, -9223372036854775808, 1.0]") == [
        0,
        2**63 - 1,
        -(2**63),
        1.0,
    ]


def test_an_envelope_too_deep_to_read_is_1001_not_a_recursion_error() -> None:
    with pytest.raises(codes.EnvelopeError) as refused:
        parse(b'{"header":{},"body":' + b"[" * 100_000 + b"}")
    assert refused.value.result_code == codes.NOT_JSON
    assert "嵌套过深" in refused.value.result_msg
