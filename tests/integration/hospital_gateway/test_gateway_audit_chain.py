"""The hash-chained audit trail through the gateway, and ``verify-audit`` finding tampering."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, insert, select, text, update

from envelope import CLOUD, HIP
from hospital_gateway import MIGRATIONS, SERVICE
from hospital_gateway.__main__ import main
from hospital_gateway.audit import IDLE_SECONDS, AuditEntry, AuditLog, Pending, audit_table
from hospital_gateway.chain import DELETED, EDITED, GENESIS, INSERTED, entry_hash
from servicekit.db import make_engine, migrate
from tests.integration.hospital_gateway.gateway_support import Backend, post, sender


def _engine(gateway: FlaskClient) -> Engine:
    return gateway.application.extensions[SERVICE].audit._engine  # type: ignore[no-any-return]


def _traffic(gateway: FlaskClient, messages: int = 5) -> None:
    for _ in range(messages):
        post(gateway, sender(CLOUD, HIP).build("2001", {}))  # IN + OUT each


def _verify(monkeypatch: pytest.MonkeyPatch, gateway: FlaskClient) -> int:
    monkeypatch.setenv("DATABASE_URL", str(_engine(gateway).url))
    return main(["verify-audit"])


def test_every_row_holds_the_hash_of_the_row_before(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    _traffic(gateway, 3)
    post(gateway, b"not json")
    with _engine(gateway).connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(audit_table).order_by("id"))]
    assert [r["id"] for r in rows] == list(range(1, 8))
    assert rows[0]["prev_hash"] == GENESIS
    for before, row in itertools.pairwise(rows):
        assert row["prev_hash"] == before["row_hash"] == entry_hash(before)


def test_verify_audit_passes_an_untouched_trail(
    gateway: FlaskClient,
    backends: dict[str, Backend],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _traffic(gateway)
    assert _verify(monkeypatch, gateway) == 0
    assert "intact: 10 entries" in capsys.readouterr().out


def test_verify_audit_finds_an_edited_entry(
    gateway: FlaskClient,
    backends: dict[str, Backend],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _traffic(gateway)
    with _engine(gateway).begin() as conn:
        conn.execute(update(audit_table).where(audit_table.c.id == 4).values(result_code="2001"))
    assert _verify(monkeypatch, gateway) == 1
    assert f"entry 4 ({EDITED})" in capsys.readouterr().err


def test_verify_audit_finds_a_deleted_entry(
    gateway: FlaskClient,
    backends: dict[str, Backend],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _traffic(gateway)
    with _engine(gateway).begin() as conn:
        conn.execute(delete(audit_table).where(audit_table.c.id == 6))
    assert _verify(monkeypatch, gateway) == 1
    assert f"entry 6 ({DELETED})" in capsys.readouterr().err


def test_verify_audit_finds_an_inserted_entry(
    gateway: FlaskClient,
    backends: dict[str, Backend],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _traffic(gateway)
    with _engine(gateway).begin() as conn:
        last = conn.execute(select(audit_table).order_by(audit_table.c.id.desc())).first()
        assert last is not None
        forged = {**last._mapping, "id": last.id + 1, "prev_hash": last.row_hash}
        forged["row_hash"] = entry_hash(forged)  # a forger who knows the scheme
        conn.execute(insert(audit_table).values(forged))
    assert _verify(monkeypatch, gateway) == 1
    assert f"entry 11 ({INSERTED})" in capsys.readouterr().err


def test_migration_chains_rows_written_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO gateway_audit (at, direction, trade_code, msg_id, trace_id,"
                    " sender, receiver, result_code, latency_ms) VALUES"
                    " ('2026-11-26T10:00:00.000+08:00', 'IN', '2001', :m, 't', 'CLOUD', 'HIP',"
                    " '0000', 1)"
                ),
                {"m": f"M{n}"},
            )
    migrate(url, MIGRATIONS)
    log = AuditLog(engine)
    log.write([_entry()])
    verdict = log.verify()
    assert verdict.intact and verdict.entries == 4


def _entry() -> AuditEntry:
    head = {"trade_code": "2001", "msg_id": "M", "trace_id": "T", "sender": CLOUD}
    return AuditEntry.of(
        "IN",
        head,
        receiver=HIP,
        reply_msg_id=None,
        result_code="0000",
        latency_ms=1,
        verified=True,
    )


@pytest.mark.postgres
def test_concurrent_writers_on_postgresql_keep_one_unbroken_chain(postgres_url: str) -> None:
    migrate(postgres_url, MIGRATIONS)
    logs = [AuditLog(make_engine(postgres_url)) for _ in range(2)]  # two gateway workers
    errors: list[BaseException] = []

    def write(log: AuditLog) -> None:
        try:
            for _ in range(25):
                log.write([_entry(), _entry()])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(logs[n % 2],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = logs[0].verify()
    assert verdict.intact and verdict.entries == 6 * 25 * 2


def test_a_failed_group_append_reaches_every_waiter_and_the_next_group_succeeds(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    log = AuditLog(make_engine(url))  # no tables yet: every append fails
    outcomes: list[str] = []

    def write() -> None:
        try:
            log.write([_entry(), _entry()])
            outcomes.append("written")
        except Exception as exc:  # each writer must hear of its own failure
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 8 and "written" not in outcomes
    migrate(url, MIGRATIONS)
    log.write([_entry(), _entry()])  # a new connection, the chain starts cleanly
    verdict = log.verify()
    assert verdict.intact and verdict.entries == 2


@pytest.mark.postgres
def test_a_connection_dropped_while_the_gateway_was_quiet_costs_no_audit_rows(
    postgres_url: str,
) -> None:
    migrate(postgres_url, MIGRATIONS)
    log = AuditLog(make_engine(postgres_url))
    before = log.verify().entries
    log.write([_entry(), _entry()])
    assert log._conn is not None
    pid = log._conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    log._conn.rollback()  # the ping above opened a transaction on the kept connection
    with make_engine(postgres_url).connect() as admin:  # the database drops the connection
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    log._used -= IDLE_SECONDS + 1  # the gateway was quiet since
    log.write([_entry(), _entry()])
    verdict = log.verify()
    assert verdict.intact and verdict.entries == before + 4


def test_a_stopped_append_reaches_every_waiter_and_is_passed_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate(url, MIGRATIONS)
    log = AuditLog(make_engine(url))

    def stopped(*args: object) -> None:
        raise SystemExit("worker stopping")

    log.append = stopped  # type: ignore[method-assign]
    group: list[Pending] = [([], Future()), ([], Future())]
    with pytest.raises(SystemExit):
        log._append_group(group)
    assert all(isinstance(done.exception(), SystemExit) for _, done in group)


@pytest.mark.postgres
def test_an_append_after_a_transaction_left_open_on_the_kept_connection_still_commits(
    postgres_url: str,
) -> None:
    migrate(postgres_url, MIGRATIONS)
    log = AuditLog(make_engine(postgres_url))
    before = log.verify().entries
    log.write([_entry()])
    assert log._conn is not None
    log._conn.exec_driver_sql("SELECT 1")  # opens a transaction and leaves it open
    log.write([_entry(), _entry()])
    with make_engine(postgres_url).connect() as other:  # committed: seen from elsewhere
        count = other.exec_driver_sql("SELECT count(*) FROM gateway_audit").scalar()
    verdict = log.verify()
    assert verdict.intact and verdict.entries == before + 3 == count
