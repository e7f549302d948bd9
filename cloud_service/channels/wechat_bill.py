"""Reading WeChat Pay's trade bill (交易账单): backquoted CSV fields, amounts in yuan, a
summary after the detail rows. Fen and BillRow out; nothing else of the file is kept."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from decimal import Decimal, InvalidOperation

from cloud_service.channels.base import BillRow, ChannelOutcomeUnknown

SUMMARY_HEAD = "总交易单数"


def to_fen(text: str) -> int:
    """ "123.45" -> 12345; what is not a yuan amount makes the bill untrusted."""
    try:
        return int((Decimal(text or "0") * 100).to_integral_value())
    except InvalidOperation as exc:
        raise ChannelOutcomeUnknown(f"bill amount not readable: {text!r}") from exc


def unpack(content: bytes, sha1_hex: str) -> str:
    """The bill's text, gunzipped when compressed; refuse it when the hash does not match."""
    raw = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
    if hashlib.sha1(raw, usedforsecurity=False).hexdigest() != sha1_hex.lower():
        raise ChannelOutcomeUnknown("trade bill does not match its SHA1 hash_value")
    return raw.decode("utf-8-sig")


def _rows(text: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        cut = next(i for i, line in enumerate(lines) if line.startswith(SUMMARY_HEAD))
    except StopIteration as exc:
        raise ChannelOutcomeUnknown("trade bill has no summary") from exc

    def table(part: list[str]) -> list[dict[str, str]]:
        reader = csv.DictReader(io.StringIO("\n".join(part)))
        return [{k: (v or "").lstrip("`") for k, v in row.items()} for row in reader]

    details, summary = table(lines[:cut]), table(lines[cut:])
    if len(summary) != 1:
        raise ChannelOutcomeUnknown("trade bill summary is not one row")
    return details, summary[0]


def parse(text: str) -> list[BillRow]:
    """The payments and refunds of a trade bill; a summary that disagrees is refused."""
    details, summary = _rows(text)
    rows: list[BillRow] = []
    for line in details:
        refund = line["交易状态"] == "REFUND"
        rows.append(
            BillRow(
                kind="REFUND" if refund else "PAYMENT",
                out_trade_no=line["商户订单号"],
                transaction_id=line["微信订单号"],
                amount_fen=to_fen(line["退款金额"] if refund else line["应结订单金额"]),
                at=line["交易时间"],
                out_refund_no=line["商户退款单号"] if refund else "",
            )
        )
    paid = sum(r.amount_fen for r in rows if r.kind == "PAYMENT")
    refunded = sum(r.amount_fen for r in rows if r.kind == "REFUND")
    if (
        int(summary[SUMMARY_HEAD] or 0) != len(rows)
        or to_fen(summary["应结订单总金额"]) != paid
        or to_fen(summary["退款总金额"]) != refunded
    ):
        raise ChannelOutcomeUnknown("trade bill summary does not add up")
    return rows
