"""The channels' day bills read into BillRow: one reader, each channel's layout as data.

WeChat Pay's trade bill (交易账单) is a gzip of UTF-8 CSV with every field backquoted and a
summary section after the rows; Alipay's (业务明细) is a zip of UTF-8 or GBK CSV between '#'
lines that name the account, mark the end of the list and give its totals. Either way the
amounts are yuan, read strictly into fen (servicekit.money: "11.000001" is refused, never
rounded), and the totals must add up. Whatever cannot be trusted raises ChannelOutcomeUnknown:
reconciliation then records the bill as unreadable and goes on, never reading it as empty.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from cloud_service.channels.base import BillRow, ChannelOutcomeUnknown
from servicekit import money

# The roles of the columns read, in this order; every other column of a file is skipped.
ROLES = ("kind", "out_trade_no", "transaction_id", "paid", "refunded", "at", "out_refund_no")


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the amount cache
class BillFormat:
    """What differs between the channels' bills."""

    name: str  # in every refusal: "WeChat Pay trade bill"
    columns: tuple[str, ...]  # the header's name of each of ROLES
    refund_kind: str  # the kind column's value on a refund row
    prefix: bytes  # what each field starts with (WeChat Pay's backquote)
    signed: bool  # refunds written negative (Alipay)
    container: str  # "gzip" or "zip": how the download is packed
    encodings: tuple[str, ...]  # tried in order on the whole file
    merchant_column: str = ""  # the column naming the merchant of each row, if any
    # WeChat Pay: a summary section after the rows, its header starting with the first of
    # summary_keys, the names of the count of rows, the payments' and the refunds' total.
    summary_keys: tuple[str, ...] = ()
    # Alipay: lines starting with ``comment`` are no CSV; one names the account, one (which
    # a cut file lacks) ends the list, and after it ``totals`` give the payments' and the
    # refunds' count and yuan.
    comment: str = ""
    account: re.Pattern[str] | None = None
    end_marker: str = ""
    totals: tuple[re.Pattern[str], ...] = ()


WECHAT = BillFormat(
    name="WeChat Pay trade bill",
    columns=("交易状态", "商户订单号", "微信订单号", "应结订单金额", "退款金额", "交易时间",
             "商户退款单号"),
    refund_kind="REFUND",
    prefix=b"`",
    signed=False,
    container="gzip",
    encodings=("utf-8",),
    merchant_column="商户号",
    summary_keys=("总交易单数", "应结订单总金额", "退款总金额"),
)  # fmt: skip
ALIPAY = BillFormat(
    name="Alipay bill",
    columns=("业务类型", "商户订单号", "支付宝交易号", "商家实收（元）", "商家实收（元）",
             "完成时间", "退款批次号/请求号"),
    refund_kind="退款",
    prefix=b"",
    signed=True,
    container="zip",
    encodings=("utf-8", "gbk"),
    comment="#",
    account=re.compile(r"#账号：\[(\w*)\]"),
    end_marker="业务明细列表结束",
    totals=(
        re.compile(r"#交易合计：(\d+)笔，商家实收共(-?[0-9.]+)元"),
        re.compile(r"#退款合计：(\d+)笔，商家实收退款共(-?[0-9.]+)元"),
    ),
)  # fmt: skip

# The first bytes of a line that is no plain detail row of a bill without a field prefix.
_NOT_ROW = (b"#", b" ", b"\t", b"\r", b"\n")

# What a broken download raises on its way through unpacking, decoding and the csv module.
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, csv.Error, ValueError, KeyError)


def yuan_fen(fmt: BillFormat, text: str) -> int:
    """A bill's yuan cell as fen (an empty cell is 0); what is not exactly whole fen makes
    the bill untrusted."""
    try:
        return money.yuan_to_fen(text or "0", signed=fmt.signed)
    except money.NotAnAmount as exc:
        raise ChannelOutcomeUnknown(f"{fmt.name} amount not readable: {text!r}") from exc


@lru_cache(maxsize=4096)
def _cell_fen(fmt: BillFormat, cell: bytes, refund: bool) -> int:
    """The fen of an amount cell; a day's bill repeats few amounts, so they are cached. A
    signed bill's refund is written negative: a payment below zero, or a refund above, is
    no amount of that row."""
    fen = yuan_fen(fmt, cell.removeprefix(fmt.prefix).decode())
    fen = -fen if refund and fmt.signed else fen
    if fen < 0:
        raise ChannelOutcomeUnknown(f"{fmt.name} amount not readable: {cell!r} has the wrong sign")
    return fen


def unpack(fmt: BillFormat, content: bytes, sha1_hex: str = "") -> bytes:
    """The CSV of a download: gunzipped or unzipped as the channel packs it (a plain file is
    taken as it is), refused when it does not match its SHA1 ``sha1_hex`` (if given)."""
    try:
        if fmt.container == "gzip" and content[:2] == b"\x1f\x8b":
            content = gzip.decompress(content)
        elif fmt.container == "zip" and content[:2] == b"PK":
            content = _detail_csv(fmt, content)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:  # cut or corrupt
        raise ChannelOutcomeUnknown(f"{fmt.name} not readable, does not unpack: {exc!r}") from exc
    if sha1_hex and hashlib.sha1(content, usedforsecurity=False).hexdigest() != sha1_hex.lower():
        raise ChannelOutcomeUnknown(f"{fmt.name} does not match its SHA1 hash_value")
    return content


def _detail_csv(fmt: BillFormat, content: bytes) -> bytes:
    # The gateway's zip names its files in GBK without saying so (zipfile would read
    # cp437): the detail CSV is told from the summary (汇总) one by its name.
    with zipfile.ZipFile(io.BytesIO(content), metadata_encoding="gbk") as archive:
        names = [n for n in archive.namelist() if "汇总" not in n and n.endswith(".csv")]
        if not names:  # read as an empty bill, every paid order would look missing
            raise ChannelOutcomeUnknown(f"{fmt.name} zip holds no detail CSV")
        return archive.read(names[0])


def read(
    fmt: BillFormat, content: bytes, *, sha1_hex: str = "", merchant: str = ""
) -> list[BillRow]:
    """The rows of a downloaded bill of ``merchant`` (not checked when empty)."""
    raw = unpack(fmt, content, sha1_hex)
    return list(iter_rows(fmt, raw.splitlines(keepends=True), _encoding(fmt, raw), merchant))


def _encoding(fmt: BillFormat, raw: bytes) -> str:
    """The first of the channel's encodings the whole file is text in; a channel with one
    encoding has it checked cell by cell as the rows are read."""
    if len(fmt.encodings) == 1:
        return fmt.encodings[0]
    for encoding in fmt.encodings:
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
            continue
        return encoding
    raise ChannelOutcomeUnknown(f"{fmt.name} not readable: {failure!r}")


def iter_rows(
    fmt: BillFormat, lines: Iterable[bytes], encoding: str = "utf-8", merchant: str = ""
) -> Iterator[BillRow]:
    """The payments and refunds of a bill, read line by line from its bytes (a file opened
    "rb", or ``raw.splitlines(keepends=True)``; a byte order mark before the header is
    dropped). The totals come after the rows, so they are checked after the last row: a bill
    that does not add up raises then, and what was taken from it must be dropped."""
    # Caught here, around the whole reading, not per row: the row loop is the hot path.
    try:
        yield from _rows(fmt, iter(lines), encoding, merchant)
    except UnicodeDecodeError as exc:  # a ValueError too: caught first for its own message
        raise ChannelOutcomeUnknown(f"{fmt.name} is not {encoding.upper()}: {exc!r}") from exc
    except _UNREADABLE as exc:
        # A summary count that is no number, a summary without a column, a field past the
        # csv module's limit: the bill cannot be trusted, and reconciliation goes on without it.
        raise ChannelOutcomeUnknown(f"{fmt.name} not readable: {exc!r}") from exc


def _record(text: str, rest: Iterator[bytes], encoding: str) -> list[str]:
    """The CSV record that starts with ``text``: a line without a double quote is split at
    its commas; one with a quote goes to the csv module, which may take the rest of a
    quoted field from ``rest``."""
    if '"' in text:
        return next(csv.reader(chain((text,), (more.decode(encoding) for more in rest))))
    return text.rstrip("\r\n").split(",")


def _columns(fmt: BillFormat, header: list[str]) -> tuple[list[int], int]:
    """Where each of ROLES (then the merchant column, if any) is, and how many columns to
    split off a row to reach them all."""
    at = {name.strip().removeprefix(fmt.prefix.decode()): i for i, name in enumerate(header)}
    wanted = [*fmt.columns, *([fmt.merchant_column] if fmt.merchant_column else [])]
    missing = [name for name in wanted if name not in at]
    if missing:
        raise ChannelOutcomeUnknown(f"{fmt.name} has no column {', '.join(missing)}")
    places = [at[name] for name in wanted]
    return places, max(places) + 1


def _summary(fmt: BillFormat, text: str, rest: Iterator[bytes], encoding: str) -> dict[str, str]:
    """WeChat Pay's summary section: its header, then exactly one row."""
    header = _record(text, rest, encoding)
    rows = [_record(more.decode(encoding), rest, encoding) for more in rest if more.strip()]
    if len(rows) != 1:
        raise ChannelOutcomeUnknown(f"{fmt.name} summary is not one row")
    cells = rows[0] + [""] * (len(header) - len(rows[0]))
    prefix = fmt.prefix.decode()
    return {name: cell.removeprefix(prefix) for name, cell in zip(header, cells, strict=False)}


def _check_account(fmt: BillFormat, comments: list[str], merchant: str) -> None:
    """Alipay's '#账号：[...]' line must name ``merchant``: the PID, which the real file
    follows with a four-digit account suffix."""
    assert fmt.account is not None
    named = [m[1] for m in map(fmt.account.match, comments) if m]
    if not named or not re.fullmatch(re.escape(merchant) + r"([0-9]{4})?", named[0]):
        raise ChannelOutcomeUnknown(f"{fmt.name} is of another account: {named!r}")


def _check_totals(
    fmt: BillFormat, summary: dict[str, str] | None, comments: list[str], got: tuple[int, ...]
) -> None:
    """The totals the file states against what its rows add up to: ``got`` is the count of
    payments and of refunds, then their fen."""
    payments, refunds, paid, refunded = got
    claims: list[tuple[int, int]] = []
    if fmt.summary_keys:
        if summary is None:
            raise ChannelOutcomeUnknown(f"{fmt.name} has no summary")
        count, paid_total, refund_total = (summary[key] for key in fmt.summary_keys)
        claims += [(int(count or 0), payments + refunds), (yuan_fen(fmt, paid_total), paid)]
        claims.append((yuan_fen(fmt, refund_total), refunded))
    if fmt.end_marker and not any(fmt.end_marker in line for line in comments):
        raise ChannelOutcomeUnknown(f"{fmt.name} is cut short: no {fmt.end_marker} line")
    for pattern, rows, fen in zip(fmt.totals, (payments, refunds), (paid, refunded), strict=False):
        for match in filter(None, map(pattern.match, comments)):
            claims += [(int(match[1]), rows), (abs(yuan_fen(fmt, match[2])), fen)]
    if any(stated != added for stated, added in claims):
        raise ChannelOutcomeUnknown(f"{fmt.name} summary does not add up")


def _rows(
    fmt: BillFormat, rest: Iterator[bytes], encoding: str, merchant: str
) -> Iterator[BillRow]:
    prefix, refund_kind = fmt.prefix, fmt.prefix + fmt.refund_kind.encode(encoding)
    mine = prefix + merchant.encode(encoding)
    # The first bytes of a plain detail row: WeChat Pay's backquote, or Alipay's anything
    # but its comment and white space (single bytes are interned: the lookup is quick).
    plain = {prefix} if prefix else {bytes([b]) for b in range(256)} - {*_NOT_ROW}
    header: list[int] = []
    width = merchant_at = 0  # width: the columns split off, set by the header
    comments: list[str] = []
    summary = None
    payments = refunds = paid = refunded = 0
    for line in rest:
        # The usual detail row (no double quote) first, with no other test: it is split no
        # further than the last column read, and the piece after that, which holds the rest
        # of the line and its line end, is never looked at.
        if header and line[:1] in plain and b'"' not in line:
            cells = line.split(b",", width)
            if len(cells) <= width:  # no column beyond the last one read
                cells = line.rstrip(b"\r\n").split(b",")
                cells += [b""] * (width - len(cells))
        elif not line or line.isspace():
            continue
        else:
            text = line.removeprefix(codecs.BOM_UTF8).decode(encoding)
            if fmt.comment and text.startswith(fmt.comment):
                comments.append(text.rstrip("\r\n"))
                continue
            if fmt.summary_keys and text.startswith(fmt.summary_keys[0]):
                summary = _summary(fmt, text, rest, encoding)
                break
            if not header:
                header, width = _columns(fmt, _record(text, rest, encoding))
                kind, trade, transaction, paid_at, refunded_at, at, refund_no = header[:7]
                merchant_at = header[7] if merchant and fmt.merchant_column else -1
                if merchant and fmt.account:
                    _check_account(fmt, comments, merchant)
                continue
            # A quoted row (a comma or a line break inside a field): the csv module's cells.
            cells = [cell.encode(encoding) for cell in _record(text, rest, encoding)]
            cells += [b""] * (width - len(cells))
        if merchant_at >= 0 and cells[merchant_at] != mine:
            raise ChannelOutcomeUnknown(f"{fmt.name} has a row of another merchant")
        if cells[kind] == refund_kind:
            row_kind, amount = "REFUND", _cell_fen(fmt, cells[refunded_at], True)
            refund = cells[refund_no].removeprefix(prefix).decode(encoding)
            refunds, refunded = refunds + 1, refunded + amount
        else:
            row_kind, amount, refund = "PAYMENT", _cell_fen(fmt, cells[paid_at], False), ""
            payments, paid = payments + 1, paid + amount
        # tuple.__new__ makes a BillRow at half the cost of the named tuple's own __new__.
        yield tuple.__new__(
            BillRow,
            (
                row_kind,
                cells[trade].removeprefix(prefix).decode(encoding),
                cells[transaction].removeprefix(prefix).decode(encoding),
                amount,
                cells[at].removeprefix(prefix).decode(encoding),
                refund,
            ),
        )
    if not header:
        raise ChannelOutcomeUnknown(f"{fmt.name} has no column {fmt.columns[1]}")
    _check_totals(fmt, summary, comments, (payments, refunds, paid, refunded))
