"""Reading the downloaded Alipay trade bill: a file that cannot be read is refused with
ChannelOutcomeUnknown (reconciliation then marks the bill unreadable and goes on), never
read as an empty bill and never an error of another kind."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from cloud_service.channels import alipay
from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.base import ChannelOutcomeUnknown
from cloud_service.channels.bills import ALIPAY, read

HEADER = "支付宝交易号,商户订单号,业务类型,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号"
DETAIL = "\n".join(
    [
        "#支付宝业务明细查询",
        HEADER,
        "2026112622001,ORD1,交易,2026-11-26 10:00:00,12.34,12.34,",
        "#业务明细列表结束",
    ]
)
SUMMARY = "#支付宝业务汇总查询\n业务类型,笔数,金额（元）\n交易,1,12.34\n"


def _zip(files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A zip as the gateway makes it: file names in GBK, without the UTF-8 flag."""
    with monkeypatch.context() as patch:
        patch.setattr(
            zipfile.ZipInfo,
            "_encodeFilenameFlags",
            lambda info: (info.filename.encode("gbk"), info.flag_bits),
        )
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, content in files.items():
                archive.writestr(name, content)
    return out.getvalue()


def test_the_detail_csv_of_a_gbk_named_zip_is_read_not_the_summary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = _zip(
        {
            "20881234_20261126_业务明细(汇总).csv": SUMMARY.encode("gbk"),  # first, on purpose
            "20881234_20261126_业务明细.csv": DETAIL.encode("gbk"),
        },
        monkeypatch,
    )
    rows = read(ALIPAY, content)
    assert [(r.kind, r.out_trade_no, r.amount_fen) for r in rows] == [("PAYMENT", "ORD1", 1234)]


def test_a_zip_without_a_detail_csv_is_refused_not_read_as_an_empty_bill(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = _zip({"20881234_20261126_业务明细(汇总).csv": SUMMARY.encode("gbk")}, monkeypatch)
    with pytest.raises(ChannelOutcomeUnknown, match="no detail CSV"):
        read(ALIPAY, content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip", "BadZipFile"),
        (HEADER.encode() + b"\n\xff\xfe\xff,ORD1\n", "UnicodeDecodeError"),  # neither UTF-8 nor GBK
        (f'{HEADER}\n"{"9" * 200_000}",ORD1\n'.encode(), "field limit"),  # csv.Error
        (f"{HEADER}\n2026112622001,ORD1,交易,t,x,12.3.4,\n".encode(), "amount not readable"),
        (f"{HEADER}\n2026112622001,ORD1,交易,t,x,Infinity,\n".encode(), "amount not readable"),
        (b"", "no column 商户订单号"),
        (b"#only comments\n", "column"),
        ("交易,笔数\n交易,1\n".encode(), "column"),  # some other CSV
    ],
)
def test_an_unreadable_bill_is_refused_with_channel_outcome_unknown(
    content: bytes, message: str
) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match=message):
        read(ALIPAY, content)


def test_trade_bill_refuses_a_broken_download(keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = AlipayChannel(
        api_url="http://127.0.0.1:8600/gateway.do",
        app_id="2021000000000001",
        app_private_key=(keys / "app_private.pem").read_text(),
        alipay_public_key=(keys / "platform_public.pem").read_text(),
        notify_url="http://127.0.0.1:8000/notify/alipay",
    )
    monkeypatch.setattr(channel, "bill_url", lambda day: "http://bills.example/1.zip")
    answer = SimpleNamespace(status_code=200, content=b"PK\x03\x04 cut short")
    monkeypatch.setattr(alipay.requests, "get", lambda url, timeout: answer)
    with pytest.raises(ChannelOutcomeUnknown, match="Alipay bill not readable"):
        channel.trade_bill("2026-11-26")
