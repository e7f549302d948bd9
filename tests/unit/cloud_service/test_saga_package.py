"""The saga package itself: its table prints every state, no module of the cloud imports
itself back in a circle, a move answers the moved order, and paying takes no reloads."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order
from cloud_service.saga import orders, patient
from servicekit.db import transaction
from tests.unit.cloud_service.fakes import new_order

ROOT = Path(__file__).resolve().parents[3]


def test_python_m_cloud_service_saga_prints_every_state_and_step() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "cloud_service.saga"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    heads = [line.split()[0] for line in printed.splitlines() if line and line[0].isupper()]
    assert set(saga.State) <= set(heads)
    assert all(step in printed for step in saga.Step if step != saga.Step.STOPPED_REFUND)
    assert "已完成（医院已确认）" in printed


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The cloud_service modules a file imports, anywhere in it (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                for a in node.names
            }
    return found & modules


def test_no_module_of_the_cloud_imports_itself_back_through_others() -> None:
    files = {}
    for path in (ROOT / "cloud_service").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: _imports(path, set(files)) - {name} for name, path in files.items()}
    for start in graph:  # depth-first from each module: does any path lead back to it?
        seen, todo = set(), list(graph[start])
        while todo:
            name = todo.pop()
            assert name != start, f"{start} imports itself back"
            if name not in seen:
                seen.add(name)
                todo += graph[name]


def test_a_move_answers_the_order_as_it_now_stands_and_refuses_a_stale_one(
    deps: Deps,
) -> None:
    order_no = new_order(deps)
    with transaction(deps.sessions) as session:
        loaded = session.get(Order, order_no)
        moved = saga.move(session, order_no, saga.CREATED, saga.CANCELLED, failure="test")
        assert moved is loaded and (moved.state, moved.failure) == ("CANCELLED", "test")
    with pytest.raises(CloudError) as stale, transaction(deps.sessions) as session:
        saga.move(session, order_no, saga.CREATED, saga.CANCELLED)
    assert stale.value.result_code == "2014"
    with pytest.raises(ValueError), transaction(deps.sessions) as session:
        saga.move(session, order_no, saga.CANCELLED, saga.PAID)  # not in the table


@pytest.mark.parametrize("pay_mode", ["INSURANCE", "SELF_PAY"])
def test_paying_reads_the_order_once_and_commits_twice(deps: Deps, pay_mode: str) -> None:
    """Pre-settled and awaiting payment in one commit, the cashier in the next; each move
    answers the order, so nothing is read again."""
    order_no = new_order(deps, pay_mode)
    user_id = orders.reload(deps, order_no).user_id
    engine = deps.sessions.kw["bind"]
    begun: list[object] = []
    reads: list[str] = []

    def begin(conn: object) -> None:
        begun.append(conn)

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM orders" in statement:
            reads.append(statement)

    event.listen(engine, "begin", begin)
    event.listen(engine, "before_cursor_execute", count)
    try:
        paying = patient.start_payment(deps, user_id, order_no)
    finally:
        event.remove(engine, "begin", begin)
        event.remove(engine, "before_cursor_execute", count)
    assert paying.state == saga.AWAITING_PAYMENT and paying.cashier_url
    assert len(reads) == 1  # the order asked for; every later state comes from its move
    assert len(begun) == 3  # that read, the moves, the cashier
    assert [e.to_state for e in orders.history(deps, order_no)][-1] == saga.AWAITING_PAYMENT
