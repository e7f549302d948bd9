"""Reading the trade bill: fen out of backquoted yuan, the SHA1 and the summary checked."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from cloud_service.channels import ChannelOutcomeUnknown
from cloud_service.channels.bills import WECHAT, read, unpack
from simulators.wechatpay.bills import COLUMNS, SUMMARY


def _line(*fields: str) -> str:
    return ",".join("`" + f for f in fields)


def _row(state: str, out_trade_no: str, settled: str, refund: str, out_refund_no: str) -> str:
    # fmt: off
    fields = ["2026-11-26 10:00:00", "wx1", "1900000001", "0", "", "4200X", out_trade_no,
              "oU", "MWEB", state, "OTHERS", "CNY", settled, "0.00", "0", out_refund_no,
              refund, "0.00", "", "", "挂号费", "", "0.006", "0.60%", "1.00", refund, ""]
    # fmt: on
    return _line(*fields)


def _bill(summary: tuple[str, str, str]) -> bytes:
    count, paid, refunded = summary
    return "\r\n".join(
        [
            COLUMNS,
            _row("SUCCESS", "ORD1", "12.34", "0.00", "0"),
            _row("REFUND", "ORD2", "0.00", "1.00", "ORD2R1"),
            SUMMARY,
            _line(count, paid, refunded, "0.00", "0.00", paid, refunded),
        ]
    ).encode()


def test_payments_and_refunds_come_out_in_fen() -> None:
    rows = read(WECHAT, _bill(("2", "12.34", "1.00")))
    assert [(r.kind, r.out_trade_no, r.amount_fen, r.out_refund_no) for r in rows] == [
        ("PAYMENT", "ORD1", 1234, ""),
        ("REFUND", "ORD2", 100, "ORD2R1"),
    ]
    assert rows[0].at == "2026-11-26 10:00:00" and rows[0].transaction_id == "4200X"


@pytest.mark.parametrize("summary", [("3", "12.34", "1.00"), ("2", "12.35", "1.00")])
def test_a_summary_that_does_not_add_up_is_refused(summary: tuple[str, str, str]) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="summary"):
        read(WECHAT, _bill(summary))


def test_gzip_file_is_unpacked_and_checked_against_the_sha1_of_the_plain_text() -> None:
    raw = _bill(("2", "12.34", "1.00"))
    digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    assert unpack(WECHAT, gzip.compress(raw), digest.upper()) == raw
    with pytest.raises(ChannelOutcomeUnknown, match="SHA1"):
        unpack(WECHAT, gzip.compress(raw.replace(b"12.34", b"12.35")), digest)


def _bill_with_summary(head: str, cells: str) -> bytes:
    return "\r\n".join(
        [COLUMNS, _row("SUCCESS", "ORD1", "12.34", "0.00", "0"), head, cells]
    ).encode()


@pytest.mark.parametrize(
    "raw",
    [
        _bill(("two", "12.34", "1.00")),  # a count that is no number: ValueError
        _bill_with_summary("总交易单数,应结订单总金额", "`1,`12.34"),  # no 退款总金额: KeyError
        _bill(("2", "Infinity", "1.00")),  # an amount int() cannot take: OverflowError
    ],
)
def test_a_summary_that_cannot_be_read_is_refused(raw: bytes) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="not readable"):
        read(WECHAT, raw)


def test_a_field_beyond_the_csv_modules_limit_is_refused() -> None:
    row = _row("SUCCESS", "ORD1", "12.34", "0.00", "0").replace("挂号费", f'"{"x" * 200_000}"')
    raw = "\r\n".join([COLUMNS, row, SUMMARY, _line("1", "12.34", "0.00")]).encode()
    with pytest.raises(ChannelOutcomeUnknown, match="field limit"):
        read(WECHAT, raw)


@pytest.mark.parametrize("content", [b"\x1f\x8b\x08\x00cut", gzip.compress(b"bill")[:-6]])
def test_a_corrupt_or_cut_gzip_download_is_refused(content: bytes) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="does not unpack"):
        unpack(WECHAT, content, "0" * 40)


@pytest.mark.parametrize("settled", ["12.345", "1e1", "NaN", "１２.34", "12.34 "])
def test_a_bill_amount_that_is_not_exactly_yuan_is_refused_not_rounded(settled: str) -> None:
    raw = _bill(("2", "12.34", "1.00")).replace(b"`12.34,", f"`{settled},".encode(), 1)
    with pytest.raises(ChannelOutcomeUnknown, match="amount not readable"):
        read(WECHAT, raw)
