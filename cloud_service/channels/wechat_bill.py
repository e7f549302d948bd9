"""Reading WeChat Pay's trade bill (交易账单): backquoted CSV fields, amounts in yuan, a
summary after the detail rows. Fen and BillRow out; nothing else of the file is kept."""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain

from cloud_service.channels.base import BillRow, ChannelOutcomeUnknown
from servicekit import money

SUMMARY_HEAD = "总交易单数"


def to_fen(text: str) -> int:
    """ "123.45" -> 12345 (an empty cell is 0); what is not a yuan amount with at most two
    decimals makes the bill untrusted."""
    try:
        return money.yuan_to_fen(text or "0")
    except money.NotAnAmount as exc:
        raise ChannelOutcomeUnknown(f"bill amount not readable: {text!r}") from exc


def unpack(content: bytes, sha1_hex: str) -> bytes:
    """The bill's bytes, gunzipped when compressed; refuse it when the hash does not match."""
    try:
        raw = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
    except (OSError, EOFError, zlib.error) as exc:  # a cut or corrupt download
        raise ChannelOutcomeUnknown(f"trade bill does not unpack: {exc}") from exc
    if hashlib.sha1(raw, usedforsecurity=False).hexdigest() != sha1_hex.lower():
        raise ChannelOutcomeUnknown("trade bill does not match its SHA1 hash_value")
    return raw


# The detail columns read; every other column of the file is skipped.
STATE, TRADE_NO, TRANSACTION_ID = "交易状态", "商户订单号", "微信订单号"
SETTLED, REFUNDED, TIME, REFUND_NO = "应结订单金额", "退款金额", "交易时间", "商户退款单号"
READ = (STATE, TRADE_NO, TRANSACTION_ID, SETTLED, REFUNDED, TIME, REFUND_NO)


@lru_cache(maxsize=4096)
def _fen(cell: bytes) -> int:
    """to_fen of a backquoted cell; a day's bill repeats few amounts, so they are cached."""
    return to_fen(cell.lstrip(b"`").decode())


def _record(line: str, rest: Iterator[bytes]) -> list[str]:
    """The CSV record that starts with ``line``: a line without a double quote is split at
    its commas; one with a quote goes to the csv module, which may take the rest of a
    quoted field from ``rest``."""
    if '"' in line:
        return next(csv.reader(chain((line,), (more.decode() for more in rest))))
    return line.rstrip("\r\n").split(",")


def _summary(line: str, rest: Iterator[bytes]) -> dict[str, str]:
    header = _record(line, rest)
    rows = [_record(more.decode(), rest) for more in rest if more.strip()]
    if len(rows) != 1:
        raise ChannelOutcomeUnknown("trade bill summary is not one row")
    cells = rows[0] + [""] * (len(header) - len(rows[0]))
    return {name: cell.lstrip("`") for name, cell in zip(header, cells, strict=False)}


def iter_rows(lines: Iterable[bytes]) -> Iterator[BillRow]:
    """The payments and refunds of a trade bill, read line by line from its bytes (a file
    opened "rb", or ``raw.splitlines(keepends=True)``; a byte order mark before the header
    is dropped). The summary comes last in the file, so it is checked after the last row: a
    bill that does not add up raises then, and what was taken from it must be dropped.

    A detail row stays bytes: only the cells kept are decoded (the whole line, with its
    Chinese product name, would cost more to decode than the rest of the reading)."""
    # Caught here, around the whole reading, not per row: the row loop is the hot path.
    try:
        yield from _rows(iter(lines))
    except UnicodeDecodeError as exc:  # a ValueError too: caught first for its own message
        raise ChannelOutcomeUnknown("trade bill is not UTF-8") from exc
    except (ValueError, KeyError, csv.Error) as exc:
        # A summary count that is no number, a summary without a column, a field past the
        # csv module's limit: the bill cannot be trusted, and reconciliation goes on without it.
        raise ChannelOutcomeUnknown(f"trade bill not readable: {exc!r}") from exc


def _rows(rest: Iterator[bytes]) -> Iterator[BillRow]:
    header: list[str] = []
    count = paid = refunded = width = 0  # width: the columns split off, set by the header
    for line in rest:
        # The usual detail row (backquoted, no double quote) first, with no other test: it
        # is split no further than the last column read, and the piece after that, which
        # holds the rest of the line and its line end, is never looked at.
        if header and line[:1] == b"`" and b'"' not in line:
            cells = line.split(b",", width)
            if len(cells) <= width:  # no column beyond the last one read
                cells = line.rstrip(b"\r\n").split(b",")
                cells += [b""] * (width - len(cells))
        elif not line or line.isspace():
            continue
        else:
            text = line.removeprefix(codecs.BOM_UTF8).decode()
            if text.startswith(SUMMARY_HEAD):
                summary = _summary(text, rest)
                break
            if not header:
                header = _record(text, rest)
                columns = {name: i for i, name in enumerate(header)}
                missing = [name for name in READ if name not in columns]
                if missing:
                    raise ChannelOutcomeUnknown(f"trade bill has no column {', '.join(missing)}")
                state, trade, transaction, settled, refund_fen, at, refund_no = (
                    columns[name] for name in READ
                )
                width = max(columns[name] for name in READ) + 1
                continue
            # A quoted row (a comma or a line break inside a field): the csv module's cells.
            cells = [cell.encode() for cell in _record(text, rest)]
            if len(cells) < width:
                cells += [b""] * (width - len(cells))
        count += 1
        if cells[state].lstrip(b"`") == b"REFUND":
            kind, amount = "REFUND", _fen(cells[refund_fen])
            refund = cells[refund_no].lstrip(b"`").decode()
            refunded += amount
        else:
            kind, amount, refund = "PAYMENT", _fen(cells[settled]), ""
            paid += amount
        # tuple.__new__ makes a BillRow at half the cost of the named tuple's own __new__.
        yield tuple.__new__(
            BillRow,
            (
                kind,
                cells[trade].lstrip(b"`").decode(),
                cells[transaction].lstrip(b"`").decode(),
                amount,
                cells[at].lstrip(b"`").decode(),
                refund,
            ),
        )
    else:
        raise ChannelOutcomeUnknown("trade bill has no summary")
    if (
        int(summary[SUMMARY_HEAD] or 0) != count
        or to_fen(summary["应结订单总金额"]) != paid
        or to_fen(summary["退款总金额"]) != refunded
    ):
        raise ChannelOutcomeUnknown("trade bill summary does not add up")


def parse(raw: bytes) -> list[BillRow]:
    """The payments and refunds of a trade bill; a summary that disagrees is refused."""
    return list(iter_rows(raw.splitlines(keepends=True)))
