"""The hospital's departments and schedules, cached in the cloud once a day (DESIGN §4).

Remaining slots are not trusted from the cache: a schedule list always asks the HIS live.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from cloud_service.deps import Deps
from cloud_service.hospital import require_ok
from cloud_service.models import CatalogCache
from envelope import clock
from servicekit.db import transaction


def departments(deps: Deps, trace_id: str, refresh: bool = False) -> list[dict[str, Any]]:
    """Today's cached department list, fetched from the HIS (2001) when stale."""
    return _cached(
        deps,
        "departments",
        "all",
        refresh,
        lambda: require_ok(deps.hospital.call("2001", {}, trace_id=trace_id)).get(
            "departments", []
        ),
    )


def schedules(
    deps: Deps, trace_id: str, *, dept_code: str | None, start_date: str, end_date: str
) -> list[dict[str, Any]]:
    """Schedules with live remaining counts (2003 straight from the HIS)."""
    body: dict[str, Any] = {"start_date": start_date, "end_date": end_date}
    if dept_code:
        body["dept_code"] = dept_code
    answer = require_ok(deps.hospital.call("2003", body, trace_id=trace_id))
    rows: list[dict[str, Any]] = answer.get("schedules", [])
    return rows


def _cached(deps: Deps, kind: str, key: str, refresh: bool, fetch: Any) -> list[dict[str, Any]]:
    today = clock.today().isoformat()
    with deps.sessions() as session:
        row = session.get(CatalogCache, (kind, key))
        if row is not None and row.fetched_on == today and not refresh:
            cached: list[dict[str, Any]] = json.loads(row.payload)
            return cached
    fresh: list[dict[str, Any]] = fetch()
    payload = json.dumps(fresh, ensure_ascii=False)
    with transaction(deps.sessions) as session:
        existing = session.scalar(
            select(CatalogCache)
            .where(CatalogCache.kind == kind, CatalogCache.key == key)
            .with_for_update()
        )
        if existing is None:
            session.add(CatalogCache(kind=kind, key=key, fetched_on=today, payload=payload))
        else:
            existing.fetched_on, existing.payload = today, payload
    return fresh
