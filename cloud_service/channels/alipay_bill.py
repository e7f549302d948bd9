"""Reading Alipay's trade bill: the downloaded zip (or plain CSV), UTF-8 or GBK, into
BillRow; a file that cannot be read is ChannelOutcomeUnknown, never an empty bill."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator

from cloud_service.channels.base import BillRow, ChannelOutcomeUnknown
from servicekit import money


def _fen(text: str) -> int:
    """A bill's yuan cell (refunds are negative) as fen; anything else makes it unreadable."""
    try:
        return money.yuan_to_fen(text, signed=True)
    except money.NotAnAmount as exc:
        raise ChannelOutcomeUnknown(f"Alipay amount not readable: {text!r}") from exc


def _bill_text(content: bytes) -> str:
    """The CSV of a bill download: zipped (the real gateway) or plain, UTF-8 or GBK."""
    if content[:2] == b"PK":
        # The gateway's zip names its files in GBK without saying so (zipfile would read
        # cp437): the detail CSV is told from the summary (汇总) one by its name.
        with zipfile.ZipFile(io.BytesIO(content), metadata_encoding="gbk") as archive:
            names = [n for n in archive.namelist() if "汇总" not in n and n.endswith(".csv")]
            if not names:  # read as an empty bill, every paid order would look missing
                raise ChannelOutcomeUnknown("Alipay bill zip holds no detail CSV")
            content = archive.read(names[0])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gbk")


# What a broken download raises on its way through unzipping, decoding and the csv module.
_UNREADABLE = (zipfile.BadZipFile, zlib.error, UnicodeDecodeError, csv.Error, ValueError, KeyError)


def read_bill(content: bytes) -> list[BillRow]:
    """The rows of a downloaded bill; a file that cannot be read raises ChannelOutcomeUnknown,
    so reconciliation records the bill as unreadable and goes on."""
    try:
        return parse_bill(_bill_text(content))
    except _UNREADABLE as exc:
        raise ChannelOutcomeUnknown(f"Alipay bill not readable: {exc!r}") from exc


def parse_bill(text: str) -> list[BillRow]:
    """Rows of an Alipay trade bill CSV ('#' lines skipped); refunds have kind REFUND."""
    return list(iter_bill(text.splitlines()))


def iter_bill(lines: Iterable[str]) -> Iterator[BillRow]:
    """The rows of an Alipay trade bill read line by line (a text file will do)."""
    kept = (line for line in lines if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(kept)
    # No header (an empty file, or some other CSV) is no bill: read as one without rows,
    # every order paid that day would be listed as missing at the channel.
    if "商户订单号" not in [name.strip() for name in reader.fieldnames or ()]:
        raise ChannelOutcomeUnknown("Alipay bill has no 商户订单号 column")
    for record in reader:
        cells = {key.strip(): (value or "").strip() for key, value in record.items() if key}
        refund = cells.get("业务类型") == "退款"
        amount = abs(_fen(cells.get("商家实收（元）") or cells.get("订单金额（元）") or "0"))
        yield BillRow(
            kind="REFUND" if refund else "PAYMENT",
            out_trade_no=cells.get("商户订单号", ""),
            transaction_id=cells.get("支付宝交易号", ""),
            amount_fen=amount,
            at=cells.get("完成时间", ""),
            out_refund_no=cells.get("退款批次号/请求号", "") if refund else "",
        )
