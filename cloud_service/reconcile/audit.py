"""The operations audit: every repair and every staff action on the money, one row each."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import OperationAudit, RepairClaim
from envelope import clock, codes
from servicekit.db import transaction

Sessions = Deps | sessionmaker[Session] | Session


def _add(session: Session, actor: str, action: str, target: str, detail: dict[str, Any]) -> int:
    row = OperationAudit(
        actor=actor[:64],
        action=action[:64],
        target=target[:64],
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        at=clock.now(),
    )
    session.add(row)
    session.flush()
    return int(row.id)


def record_operation(
    where: Sessions, actor: str, action: str, target: str, detail: dict[str, Any]
) -> int:
    """Write one audit row (in the caller's session when given one); returns its id.

    ``detail`` must hold no ID card number or name: pass order numbers and amounts."""
    if isinstance(where, Session):
        return _add(where, actor, action, target, detail)
    factory = where.sessions if isinstance(where, Deps) else where
    with transaction(factory) as session:
        return _add(session, actor, action, target, detail)


def recent_operations(
    where: Deps | sessionmaker[Session], limit: int = 100, target: str | None = None
) -> list[dict[str, Any]]:
    """The newest audit rows first, as dicts (detail decoded)."""
    factory = where.sessions if isinstance(where, Deps) else where
    query = select(OperationAudit).order_by(OperationAudit.id.desc()).limit(limit)
    if target is not None:
        query = query.where(OperationAudit.target == target)
    with factory() as session:
        rows = session.scalars(query).all()
    return [
        {
            "id": row.id,
            "actor": row.actor,
            "action": row.action,
            "target": row.target,
            "detail": json.loads(row.detail or "{}"),
            "at": row.at.isoformat(),
        }
        for row in rows
    ]


def claim_repair(deps: Deps, day: str, order_no: str, kind: str, actor: str) -> None:
    """Claim the repair of one difference before it runs: the claim is the row's primary
    key, so of two identical requests at the same instant only one repairs (the other 2014)."""
    try:
        with transaction(deps.sessions) as session:
            session.add(
                RepairClaim(day=day, order_no=order_no, kind=kind, actor=actor[:64], at=clock.now())
            )
    except IntegrityError as exc:
        raise CloudError(codes.ORDER_STATE_CONFLICT, "这条差异已在修复或已修复") from exc


def release_repair(deps: Deps, day: str, order_no: str, kind: str) -> None:
    """Give a claim back when its repair failed before doing anything, so it may be retried."""
    with transaction(deps.sessions) as session:
        session.execute(
            delete(RepairClaim).where(
                RepairClaim.day == day, RepairClaim.order_no == order_no, RepairClaim.kind == kind
            )
        )
