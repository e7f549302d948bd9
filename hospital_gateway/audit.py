"""The audit trail: one row per message crossing the gateway, in and out, never a body.

A row holds only routing facts (trade code, message ids, trace id, parties, result code,
latency). Header values are stored only when they are well-formed tokens, and those of a
message whose signature did not verify have ID numbers masked too.

Rows are hash-chained (hospital_gateway.chain): an append locks the one-row head table
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` takes the database
lock), so the gateway's workers append one at a time and the chain never forks.

Appends are group-committed within a worker process: the request that finds no append
running appends every exchange waiting at that moment in one transaction, and a request
answers only once its rows are committed. Under load one lock and one commit serve several
exchanges instead of one each; the SQL is written for the driver, not compiled per call.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import psycopg
from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)

from envelope import clock
from hospital_gateway.chain import Verdict, entry_hash, verify_chain
from servicekit.bearer import require_bearer
from servicekit.masking import mask_untrusted

log = logging.getLogger(__name__)
metadata = MetaData()

audit_table = Table(
    "gateway_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("direction", String(3), nullable=False),
    Column("trade_code", String(8), nullable=False),
    Column("msg_id", String(64), nullable=False),
    Column("reply_msg_id", String(64), nullable=True),
    Column("trace_id", String(64), nullable=False),
    Column("sender", String(16), nullable=False),
    Column("receiver", String(16), nullable=False),
    Column("result_code", String(4), nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
    Index("ix_gateway_audit_trace_id", "trace_id"),
    Index("ix_gateway_audit_msg_id", "msg_id"),
)

HEAD_ID = 1
IDLE_SECONDS = 10.0  # a kept audit connection unused this long is pinged before its next use
head_table = Table(
    "gateway_audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

_TOKEN = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
UNREADABLE = "?"  # what is stored for a header value that is not a well-formed token


def clean(value: Any, width: int, *, verified: bool) -> str:
    """A header value fit for an audit row and a log line: a token cut to the column.

    Every legitimate header value is a token; anything else (names, free text) becomes
    ``?``. Values of a message whose signature was not verified also have ID numbers masked.
    """
    if not isinstance(value, str) or not _TOKEN.match(value):
        return "" if value in (None, "") else UNREADABLE
    text = value[:width]
    return text if verified else mask_untrusted(text)


@dataclass(frozen=True)
class AuditEntry:
    """One message as the gateway saw it: IN from a sender, or OUT to the next link."""

    direction: str
    trade_code: str
    msg_id: str
    reply_msg_id: str | None
    trace_id: str
    sender: str
    receiver: str
    result_code: str
    latency_ms: int

    @classmethod
    def of(
        cls,
        direction: str,
        head: Mapping[str, Any],
        *,
        receiver: Any,
        reply_msg_id: str | None,
        result_code: str,
        latency_ms: int,
        verified: bool,
    ) -> AuditEntry:
        """An entry from a request header, every header value cleaned."""
        return cls(
            direction=direction,
            trade_code=clean(head.get("trade_code"), 8, verified=verified),
            msg_id=clean(head.get("msg_id"), 64, verified=verified),
            reply_msg_id=clean(reply_msg_id, 64, verified=True) or None,
            trace_id=clean(head.get("trace_id"), 64, verified=verified),
            sender=clean(head.get("sender"), 16, verified=verified),
            receiver=clean(receiver, 16, verified=verified),
            result_code=clean(result_code, 4, verified=True),
            latency_ms=latency_ms,
        )

    def row(self, at: str) -> dict[str, Any]:
        """The database row (written out: dataclasses.asdict deep-copies every field)."""
        return {
            "direction": self.direction,
            "trade_code": self.trade_code,
            "msg_id": self.msg_id,
            "reply_msg_id": self.reply_msg_id,
            "trace_id": self.trace_id,
            "sender": self.sender,
            "receiver": self.receiver,
            "result_code": self.result_code,
            "latency_ms": self.latency_ms,
            "at": at,
        }


Pending = tuple[list[dict[str, Any]], "Future[None]"]


def _param(paramstyle: str, name: str) -> str:
    """A named parameter in the driver's style (psycopg: pyformat; sqlite3: named)."""
    return f"%({name})s" if paramstyle == "pyformat" else f":{name}"


@functools.cache
def _head_sql(dialect: str, paramstyle: str) -> tuple[str, str]:
    """Reading (and on PostgreSQL locking) the chain head, and moving it."""
    lock = " FOR UPDATE" if dialect == "postgresql" else ""  # SQLite: BEGIN IMMEDIATE
    read = f"SELECT last_id, last_hash FROM {head_table.name} WHERE id = :id{lock}"
    move = f"UPDATE {head_table.name} SET last_id = :last_id, last_hash = :last_hash WHERE id = :id"

    def styled(sql: str) -> str:
        return re.sub(r":(\w+)", lambda m: _param(paramstyle, m.group(1)), sql)

    return styled(read), styled(move)


@functools.lru_cache(maxsize=512)
def _insert_sql(paramstyle: str, count: int) -> str:
    """One INSERT of ``count`` audit rows; the parameters of row i end in _i."""
    columns = [column.name for column in audit_table.columns]
    values = ", ".join(
        "(" + ", ".join(_param(paramstyle, f"{c}_{i}") for c in columns) + ")" for i in range(count)
    )
    return f"INSERT INTO {audit_table.name} ({', '.join(columns)}) VALUES {values}"


def _chained(
    rows: Sequence[dict[str, Any]], head: Sequence[Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The INSERT's parameters of ``rows`` linked onto the chain's head, and the new head."""
    if head is None:
        raise RuntimeError("the audit chain has no head row: run the migrations")
    last_id, last_hash = int(head[0]), str(head[1])
    params: dict[str, Any] = {}
    for i, row in enumerate(rows):
        last_id += 1
        linked = {**row, "id": last_id, "prev_hash": last_hash}
        last_hash = linked["row_hash"] = entry_hash(linked)
        params.update({f"{name}_{i}": value for name, value in linked.items()})
    return params, {"id": HEAD_ID, "last_id": last_id, "last_hash": last_hash}


class AuditLog:
    """The audit table behind a small interface: write, read by trace or msg id, count."""

    def __init__(
        self, engine: Engine, wait_seconds: float = 30.0, commit_delay: float = 0.002
    ) -> None:
        self._engine = engine
        self._wait_seconds = wait_seconds
        self._commit_delay = commit_delay
        self._last_group = 0
        self._changed = threading.Condition()
        self._pending: list[Pending] = []
        self._flushing = False  # one thread of the process appends at a time, for everyone
        self._conn: Connection | None = None  # kept by whichever thread is appending
        self._used = 0.0  # time.monotonic() of the kept connection's last append
        self._pid = 0  # the process the lock state and connection belong to (gunicorn forks)

    def write(self, entries: Sequence[AuditEntry]) -> None:
        """Append the rows of one exchange to the chain; return once they are committed.

        Group commit: a request that finds no append running appends everything waiting,
        its own rows included; one that finds one running waits, and either was committed
        by it or appends the next group itself. Raises what its append raised."""
        at = clock.now().isoformat(timespec="milliseconds")
        mine: Pending = ([entry.row(at) for entry in entries], Future())
        with self._changed:
            if self._pid != os.getpid():  # a forked copy: start clean
                self._pending, self._flushing, self._conn = [], False, None
                self._pid = os.getpid()
            self._pending.append(mine)
            while self._flushing and not mine[1].done():
                if not self._changed.wait(self._wait_seconds):
                    raise TimeoutError("the audit append in progress did not finish")
            if not mine[1].done():
                self._flushing = True
                if self._last_group > 1:  # under load: let the requests close behind join in
                    self._changed.wait(self._commit_delay)
                group, self._pending = self._pending, []
                self._last_group = len(group)
        if not mine[1].done():
            try:
                self._append_group(group)
            finally:
                with self._changed:
                    self._flushing = False
                    self._changed.notify_all()
        mine[1].result()

    def _append_group(self, group: list[Pending]) -> None:
        """Append a group of exchanges in one transaction; every waiter learns the outcome,
        also when the worker is stopped half-way (a BaseException is passed on, re-raised)."""
        try:
            self.append([row for rows, _ in group for row in rows], self._connection())
        except BaseException as exc:
            if isinstance(exc, Exception):
                log.exception("audit append of %d exchanges failed", len(group))
            if self._conn is not None:
                self._conn.invalidate()
                self._conn.close()
                self._conn = None
            for _, done in group:
                done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        self._used = time.monotonic()
        for _, done in group:
            done.set_result(None)

    def _connection(self) -> Connection:
        """The kept connection; after ``IDLE_SECONDS`` unused it is pinged, and replaced
        when the ping fails: a database restarted or a connection dropped while the gateway
        was quiet costs no audit rows (the pool would not ping it: it was in use, not idle
        in the pool). Under load the connection is always fresh and no ping is paid."""
        if self._conn is not None and time.monotonic() - self._used > IDLE_SECONDS:
            try:
                self._conn.exec_driver_sql("SELECT 1")
                self._conn.rollback()
            except Exception:  # gone: drop it, and check a new one out below
                self._conn.invalidate()
                self._conn.close()
                self._conn = None
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    def append(self, rows: Sequence[dict[str, Any]], conn: Connection) -> None:
        """Chain ``rows`` (audit rows without id and hashes) onto the head in one transaction.

        The statements go straight to the driver's cursor, one INSERT for the whole group:
        this runs on the gateway's hot path, where SQLAlchemy's per-statement work cost more
        than the database's own. On PostgreSQL they take two round trips (BEGIN with the
        head's lock; the INSERT, the head's move and COMMIT), five before. SQLite runs them
        inside SQLAlchemy's transaction, which takes its write lock at BEGIN."""
        if conn.dialect.name == "postgresql":
            self._append_postgresql(rows, conn.connection.driver_connection)
            return
        style = conn.dialect.paramstyle
        read_head, move_head = _head_sql(conn.dialect.name, style)
        with conn.begin():
            cursor = conn.connection.cursor()
            try:
                cursor.execute(read_head, {"id": HEAD_ID})
                params, head = _chained(rows, cursor.fetchone())
                cursor.execute(_insert_sql(style, len(rows)), params)
                cursor.execute(move_head, head)
            finally:
                cursor.close()

    @staticmethod
    def _append_postgresql(rows: Sequence[dict[str, Any]], driver: Any) -> None:
        """Two round trips, each a simple query of several statements bound client-side:
        BEGIN with the head's lock, then the INSERT, the head's move and COMMIT. On a
        failure the caller drops the connection, and with it any open transaction."""
        read_head, move_head = _head_sql("postgresql", "pyformat")
        if driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            driver.rollback()  # something (a ping, a test) left a transaction open: not ours
        driver.autocommit = True  # the statements below carry their own BEGIN and COMMIT
        with psycopg.ClientCursor(driver) as cursor:
            cursor.execute("BEGIN; " + read_head % {"id": HEAD_ID})
            cursor.nextset()
            params, head = _chained(rows, cursor.fetchone())
            cursor.execute(
                f"{_insert_sql('pyformat', len(rows))}; {move_head}; COMMIT", {**params, **head}
            )
        # Only once committed: after a failure the connection is dropped, never reused.
        driver.autocommit = False

    def verify(self) -> Verdict:
        """Walk the whole chain in id order; the first edited, inserted or deleted entry."""
        with self._engine.connect() as conn:
            head = conn.execute(select(head_table).where(head_table.c.id == HEAD_ID)).first()
            rows = conn.execution_options(yield_per=1000).execute(
                select(audit_table).order_by(audit_table.c.id)
            )
            return verify_chain(
                (dict(row._mapping) for row in rows),
                dict(head._mapping) if head is not None else None,
            )

    def find(
        self, *, trace_id: str | None = None, msg_id: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Rows of one trace or one message, oldest first."""
        query = select(audit_table).order_by(audit_table.c.id).limit(limit)
        if trace_id:
            query = query.where(audit_table.c.trace_id == trace_id)
        if msg_id:
            query = query.where(audit_table.c.msg_id == msg_id)
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Messages by direction and result code, e.g. {"IN": {"0000": 3}, "OUT": {...}}."""
        query = select(audit_table.c.direction, audit_table.c.result_code, func.count()).group_by(
            audit_table.c.direction, audit_table.c.result_code
        )
        totals: dict[str, dict[str, int]] = {"IN": {}, "OUT": {}}
        with self._engine.connect() as conn:
            for direction, result_code, count in conn.execute(query):
                totals.setdefault(direction, {})[result_code] = int(count)
        return totals


def audit_blueprint(log: AuditLog, token: str) -> Blueprint:
    """GET /audit?trace_id=...|msg_id=... and GET /stats, behind a bearer token.

    An empty token turns them off (404); a missing or wrong one is refused (401, 1003)."""
    bp = Blueprint("audit", __name__)

    bp.before_request(require_bearer(token, "审计令牌", "audit"))

    @bp.get("/audit")
    def audit() -> Response:
        trace_id = request.args.get("trace_id", "")
        msg_id = request.args.get("msg_id", "")
        if not trace_id and not msg_id:
            abort(400, "give trace_id or msg_id")
        return jsonify(records=log.find(trace_id=trace_id or None, msg_id=msg_id or None))

    @bp.get("/stats")
    def stats() -> Response:
        return jsonify(counts=log.counts())

    return bp
