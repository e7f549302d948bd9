"""Reading JSON a stranger sent: strict, bounded, and safe to re-encode.

Python's ``json.loads`` accepts what no sender of ours writes and what later code cannot
handle: nesting deep enough to exhaust the stack (RecursionError, here or in canonical
bytes), lone surrogates that fail the UTF-8 re-encoding of signing, logging or the
database, NaN and Infinity, integers wider than any database column, and duplicate keys
(which a reader in another language may resolve differently from us). Every service reads
a request body through ``loads``, so each of these is one clear refusal, never a 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32  # our deepest envelope (a bill's items in a list of bills) is 6 levels
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class JsonRefused(ValueError):
    """A body refused before any business code sees it; the message says why, in Chinese.

    A ValueError, so Flask's ``request.get_json`` treats it as any other bad JSON."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise JsonRefused("请求体含有重复的字段名")
    return document


def _no_constant(name: str) -> Any:
    raise JsonRefused("请求体含有非法数值")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused("请求体中的数值超出范围")
    return value


def _text_ok(text: str) -> bool:
    """True unless the text holds a lone surrogate, which has no UTF-8 form."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _leaf_ok(value: Any) -> bool:
    if isinstance(value, str):
        return value.isascii() or _text_ok(value)
    if isinstance(value, int):
        return INT64_MIN <= value <= INT64_MAX
    return True


def check_values(document: Any, max_depth: int = MAX_DEPTH) -> None:
    """Refuse nesting past max_depth, text without a UTF-8 form and out-of-range integers.

    Iterative, so a document that is already too deep cannot exhaust the stack here."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if not isinstance(value, (dict, list)):
            if not _leaf_ok(value):
                raise JsonRefused(_leaf_refusal(value))
            continue
        if depth > max_depth:
            raise JsonRefused(f"请求体嵌套过深：最多 {max_depth} 层")
        if isinstance(value, dict):
            if not all(_text_ok(key) for key in value):
                raise JsonRefused("请求体含有无法编码的字符")
            value = value.values()
        for item in value:
            if isinstance(item, (dict, list)):
                pending.append((item, depth + 1))
            elif not _leaf_ok(item):
                raise JsonRefused(_leaf_refusal(item))


def _leaf_refusal(value: Any) -> str:
    if isinstance(value, str):
        return "请求体含有无法编码的字符"
    return "请求体中的整数超出范围"


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON strictly, or raise JsonRefused saying what is wrong with it."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError as exc:
        raise JsonRefused("请求体含有无效的字符编码") from exc
    try:
        document = json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_float=_finite
        )
    except RecursionError as exc:
        raise JsonRefused(f"请求体嵌套过深：最多 {max_depth} 层") from exc
    except JsonRefused:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRefused("请求体格式错误，无法解析") from exc
    except ValueError as exc:  # an integer past Python's 4300-digit conversion limit
        raise JsonRefused("请求体中的整数超出范围") from exc
    check_values(document, max_depth)
    return document
