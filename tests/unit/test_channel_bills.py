"""The one bill reader against what a forged, cut or foreign bill holds: every such file
is refused with ChannelOutcomeUnknown, never read with an amount rounded or a row dropped."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from cloud_service.channels import ChannelOutcomeUnknown
from cloud_service.channels.bills import ALIPAY, WECHAT, read
from simulators.wechatpay.bills import COLUMNS, SUMMARY

MCHID = "1900000001"
SELLER = "2088000000000001"


def _wechat(settled: str = "12.34", mchid: str = MCHID, total: str = "12.34") -> bytes:
    # fmt: off
    row = ["2026-11-26 10:00:00", "wx1", mchid, "0", "", "4200X", "ORD1", "oU", "MWEB",
           "SUCCESS", "OTHERS", "CNY", settled, "0.00", "0", "0", "0.00", "0.00", "", "",
           "挂号费", "", "0.07", "0.60%", settled, "0.00", ""]
    # fmt: on
    summary = ["1", total, "0.00", "0.00", "0.07", total, "0.00"]
    lines = [COLUMNS, ",".join("`" + f for f in row), SUMMARY, ",".join("`" + f for f in summary)]
    return ("\r\n".join(lines) + "\r\n").encode()


HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,商家实收（元）,"
    "退款批次号/请求号,备注"
)


def _alipay(
    paid: str = "12.34", refund: str = "-1.00", account: str = SELLER, totals: str = ""
) -> str:
    return "\n".join(
        [
            "#支付宝业务明细查询",
            f"#账号：[{account}]",
            HEADER,
            f"2026112622001,ORD1,交易,挂号费,t,2026-11-26 10:00:00,{paid},{paid},,",
            f"2026112622001,ORD1,退款,挂号费,t,2026-11-26 11:00:00,{paid},{refund},ORD1R1,",
            "#-----------------------------------------业务明细列表结束----------------",
            totals or "#交易合计：1笔，商家实收共12.34元，商家优惠共0.00元",
            "#退款合计：1笔，商家实收退款共-1.00元，商家优惠退款共0.00元",
            "#导出时间：[2026年11月27日 09:00:00]",
        ]
    )


def test_both_channels_bills_come_out_as_the_same_rows() -> None:
    wechat = read(WECHAT, _wechat(), merchant=MCHID)
    alipay = read(ALIPAY, _alipay().encode("gbk"), merchant=SELLER)
    assert [(r.kind, r.out_trade_no, r.amount_fen) for r in wechat] == [("PAYMENT", "ORD1", 1234)]
    assert [(r.kind, r.amount_fen, r.out_refund_no) for r in alipay] == [
        ("PAYMENT", 1234, ""),
        ("REFUND", 100, "ORD1R1"),
    ]


def test_a_real_alipay_account_with_its_four_digit_suffix_is_the_sellers() -> None:
    assert len(read(ALIPAY, _alipay(account=SELLER + "0156").encode(), merchant=SELLER)) == 2


@pytest.mark.parametrize("amount", ["11.000001", "11.001", "1e3", "11,00", " 11.00"])
def test_an_amount_that_is_not_whole_fen_is_refused_not_rounded(amount: str) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="amount not readable"):
        read(WECHAT, _wechat(settled=amount, total=amount))
    with pytest.raises(ChannelOutcomeUnknown, match="amount not readable"):
        read(ALIPAY, _alipay(paid=amount).encode())


@pytest.mark.parametrize(("paid", "refund"), [("-12.34", "-1.00"), ("12.34", "1.00")])
def test_an_alipay_amount_of_the_wrong_sign_is_refused(paid: str, refund: str) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="wrong sign"):
        read(ALIPAY, _alipay(paid=paid, refund=refund).encode())


@pytest.mark.parametrize(
    "totals",
    [
        "#交易合计：2笔，商家实收共12.34元，商家优惠共0.00元",  # one payment more than listed
        "#交易合计：1笔，商家实收共12.35元，商家优惠共0.00元",  # a fen more
    ],
)
def test_alipay_totals_that_do_not_add_up_are_refused(totals: str) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="does not add up"):
        read(ALIPAY, _alipay(totals=totals).encode())


def test_a_wechat_total_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="does not add up"):
        read(WECHAT, _wechat(total="12.35"))


def test_a_truncated_bill_is_refused() -> None:
    cut = _alipay().encode()
    with pytest.raises(ChannelOutcomeUnknown, match="cut short"):
        read(ALIPAY, cut[: cut.index(b"#---")])
    whole = _wechat()
    with pytest.raises(ChannelOutcomeUnknown, match="no summary"):
        read(WECHAT, whole[: whole.index(SUMMARY.encode())])
    packed = gzip.compress(whole)[:-8]  # the gzip trailer cut off
    with pytest.raises(ChannelOutcomeUnknown, match="does not unpack"):
        read(WECHAT, packed, sha1_hex=hashlib.sha1(whole, usedforsecurity=False).hexdigest())


def test_a_row_or_a_file_of_another_merchant_is_refused() -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="another merchant"):
        read(WECHAT, _wechat(mchid="1900000002"), merchant=MCHID)
    for account in ("2088000000000002", SELLER + "1", ""):
        with pytest.raises(ChannelOutcomeUnknown, match="another account"):
            read(ALIPAY, _alipay(account=account).encode(), merchant=SELLER)
    without = _alipay().replace(f"#账号：[{SELLER}]\n", "")
    with pytest.raises(ChannelOutcomeUnknown, match="another account"):
        read(ALIPAY, without.encode(), merchant=SELLER)


def test_a_wechat_bill_forged_after_its_hash_was_given_is_refused() -> None:
    whole = _wechat()
    digest = hashlib.sha1(whole, usedforsecurity=False).hexdigest()
    assert len(read(WECHAT, gzip.compress(whole), sha1_hex=digest, merchant=MCHID)) == 1
    forged = whole.replace(b"`12.34", b"`99.99")
    with pytest.raises(ChannelOutcomeUnknown, match="SHA1"):
        read(WECHAT, gzip.compress(forged), sha1_hex=digest, merchant=MCHID)
