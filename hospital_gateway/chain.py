"""The audit trail's hash chain: each entry holds the hash of the one before it.

``row_hash = sha256(canonical bytes of the entry's fields and prev_hash)``; the first entry's
prev_hash is GENESIS. The head table keeps the last entry's id and hash, written in the same
transaction as the entries, so deleting or appending entries at the end is found too.
Checking walks the entries in id order and names the first one edited, inserted or deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from envelope.canonical import canonical_bytes

GENESIS = "0" * 64
HASHED_FIELDS = (
    "at",
    "direction",
    "trade_code",
    "msg_id",
    "reply_msg_id",
    "trace_id",
    "sender",
    "receiver",
    "result_code",
    "latency_ms",
    "prev_hash",
)

EDITED = "edited"
INSERTED = "inserted"
DELETED = "deleted"


def entry_hash(row: Mapping[str, Any]) -> str:
    """The lowercase hex SHA-256 of an entry's canonical fields, prev_hash included."""
    return hashlib.sha256(canonical_bytes({name: row[name] for name in HASHED_FIELDS})).hexdigest()


@dataclass(frozen=True)
class Finding:
    """The first place the chain does not hold: what happened to which entry."""

    kind: str  # EDITED, INSERTED or DELETED
    entry_id: int
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The result of walking the whole chain."""

    entries: int
    head_hash: str
    finding: Finding | None

    @property
    def intact(self) -> bool:
        """True when no entry was edited, inserted or deleted."""
        return self.finding is None


def _broken_link(row: Mapping[str, Any], prev_id: int | None, before_prev: str | None) -> Finding:
    """Explain why an entry's prev_hash is not the hash of the entry before it."""
    row_id = int(row["id"])
    if prev_id is not None and row["prev_hash"] == before_prev:
        return Finding(
            INSERTED, prev_id, f"entry {prev_id} was inserted: entry {row_id} links past it"
        )
    expected = 1 if prev_id is None else prev_id + 1
    if row_id > expected:
        return Finding(
            DELETED, expected, f"entries {expected}..{row_id - 1} were deleted before {row_id}"
        )
    if prev_id is None:
        return Finding(EDITED, row_id, f"entry {row_id} does not start the chain")
    return Finding(
        EDITED, prev_id, f"entry {prev_id} was edited: entry {row_id} holds a different hash"
    )


def _tail(head: Mapping[str, Any] | None, last_id: int, last_hash: str) -> Finding | None:
    """Compare the end of the walk with the head written alongside the entries."""
    head_id = int(head["last_id"]) if head else 0
    head_hash = str(head["last_hash"]) if head else GENESIS
    if (head_id, head_hash) == (last_id, last_hash):
        return None
    if head_id > last_id:
        return Finding(
            DELETED, last_id + 1, f"entries {last_id + 1}..{head_id} were deleted at the end"
        )
    if last_id > head_id:
        return Finding(
            INSERTED, head_id + 1, f"entry {head_id + 1} was appended after the recorded head"
        )
    return Finding(EDITED, last_id, f"entry {last_id} was edited: the head holds another hash")


def verify_chain(rows: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None) -> Verdict:
    """Walk the entries (oldest first) and the head; the first finding, if any."""
    prev_hash, before_prev, prev_id, count = GENESIS, None, None, 0
    for row in rows:
        if row["prev_hash"] != prev_hash:
            return Verdict(count, prev_hash, _broken_link(row, prev_id, before_prev))
        if entry_hash(row) != row["row_hash"]:
            row_id = int(row["id"])
            return Verdict(
                count,
                prev_hash,
                Finding(
                    EDITED, row_id, f"entry {row_id} was edited: it no longer matches its hash"
                ),
            )
        before_prev, prev_hash, prev_id = prev_hash, str(row["row_hash"]), int(row["id"])
        count += 1
    return Verdict(count, prev_hash, _tail(head, prev_id or 0, prev_hash))
