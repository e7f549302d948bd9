"""The hospital's departments, doctors and schedules, cached in the cloud once a day
(DESIGN §4); remaining slots and the slots of a schedule are always asked live.

The cache (catalog_cache) holds one row per kind and key: ("departments", "all"),
("doctors", "all") and ("schedules", yyyy-MM-dd). A row fetched on an earlier day is stale;
a stale or missing row is fetched on demand, and the saga worker refreshes them all daily.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.hospital import answer_of
from cloud_service.models import CatalogCache
from envelope import clock, codes
from envelope.messages.his import Departments, Doctors, RemainingSlots, Schedules, SlotDetail
from envelope.messages.his_answers import (
    DepartmentsAnswer,
    DoctorsAnswer,
    RemainingAnswer,
    SchedulesAnswer,
    SlotDetailAnswer,
)
from servicekit.db import transaction

CATALOG_DAYS = 14  # how far ahead schedules are cached and may be listed
Rows = list[dict[str, Any]]


def departments(deps: Deps, trace_id: str, refresh: bool = False) -> Rows:
    """Today's cached department list, fetched from the HIS (2001) when stale."""

    def fetch() -> Rows:
        answer = answer_of(deps.hospital, Departments(), DepartmentsAnswer, trace_id)
        return [row.model_dump() for row in answer.departments]

    return _cached(deps, "departments", "all", refresh, fetch)


def doctors(deps: Deps, trace_id: str, dept_code: str | None = None, refresh: bool = False) -> Rows:
    """Today's cached doctors (2002), of one department and its sub-departments if given."""

    def fetch() -> Rows:
        answer = answer_of(deps.hospital, Doctors(), DoctorsAnswer, trace_id)
        return [row.model_dump() for row in answer.doctors]

    rows = _cached(deps, "doctors", "all", refresh, fetch)
    if not dept_code:
        return rows
    family = _family(departments(deps, trace_id), dept_code)
    return [row for row in rows if row.get("dept_code") in family]


def schedules(
    deps: Deps,
    trace_id: str,
    *,
    start_date: str,
    end_date: str,
    dept_code: str | None = None,
    doctor_code: str | None = None,
) -> Rows:
    """Cached schedules of the days in range, with ``remaining`` asked live (2004)."""
    start, end = _date_range(start_date, end_date)
    rows = [row for day in _days(start, end) for row in _schedules_of(deps, trace_id, day)]
    if dept_code:
        family = _family(departments(deps, trace_id), dept_code)
        rows = [row for row in rows if row.get("dept_code") in family]
    if doctor_code:
        rows = [row for row in rows if row.get("doctor_code") == doctor_code]
    live = _remaining(deps, trace_id, rows, start, end, dept_code, doctor_code)
    return [{**row, "remaining": live.get(row["schedule_id"], 0)} for row in rows]


def slots(deps: Deps, trace_id: str, schedule_id: str) -> dict[str, Any]:
    """The slots of one schedule with their status, asked live (2005)."""
    answer = answer_of(
        deps.hospital, SlotDetail(schedule_id=schedule_id), SlotDetailAnswer, trace_id
    )
    return answer.model_dump()


def refresh(deps: Deps, trace_id: str, days: int = CATALOG_DAYS) -> dict[str, int]:
    """Fetch departments, doctors and ``days`` days of schedules into the cache now."""
    today = clock.today()
    counts = {
        "departments": len(departments(deps, trace_id, refresh=True)),
        "doctors": len(doctors(deps, trace_id, refresh=True)),
    }
    fetched = _fetch_days(deps, trace_id, today, today + timedelta(days=days - 1))
    counts["schedules"] = sum(len(rows) for rows in fetched.values())
    return counts


def _date_range(start_date: str, end_date: str) -> tuple[date, date]:
    try:
        start, end = date.fromisoformat(start_date), date.fromisoformat(end_date)
    except ValueError as exc:
        raise CloudError(
            codes.BODY_INVALID, "start_date 与 end_date 须为日期（yyyy-MM-dd）"
        ) from exc
    if end < start:
        raise CloudError(codes.BODY_INVALID, "结束日期早于开始日期")
    if (end - start).days >= CATALOG_DAYS:
        raise CloudError(codes.BODY_INVALID, f"每次最多查询 {CATALOG_DAYS} 天")
    return start, end


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _family(depts: Rows, dept_code: str) -> set[str]:
    """The department and its sub-departments."""
    return {dept_code} | {d["dept_code"] for d in depts if d.get("parent_code") == dept_code}


def _schedules_of(deps: Deps, trace_id: str, day: date) -> Rows:
    """One day's schedules from the cache, fetched (with the days after it) when stale."""
    row = _fresh_row(deps, "schedules", day.isoformat())
    if row is not None:
        return row
    last = max(day, clock.today() + timedelta(days=CATALOG_DAYS - 1))
    return _fetch_days(deps, trace_id, day, last).get(day.isoformat(), [])


def _fetch_days(deps: Deps, trace_id: str, first: date, last: date) -> dict[str, Rows]:
    """Ask 2003 for the days first..last and cache each day (without remaining counts)."""
    request = Schedules(start_date=first.isoformat(), end_date=last.isoformat())
    answer = answer_of(deps.hospital, request, SchedulesAnswer, trace_id)
    by_day: dict[str, Rows] = {day.isoformat(): [] for day in _days(first, last)}
    for row in answer.schedules:
        kept = row.model_dump(exclude={"remaining"})  # never trusted from a cache
        by_day.setdefault(row.date, []).append(kept)
    for day, rows in by_day.items():
        _store(deps, "schedules", day, rows)
    return by_day


def _remaining(
    deps: Deps,
    trace_id: str,
    rows: Rows,
    start: date,
    end: date,
    dept_code: str | None,
    doctor_code: str | None,
) -> dict[str, int]:
    """schedule_id -> remaining, asked live (2004 by doctor, department, or each root one)."""
    if not rows:
        return {}
    dates = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    if doctor_code:
        asks = [RemainingSlots(doctor_code=doctor_code, **dates)]
    elif dept_code:
        asks = [RemainingSlots(dept_code=dept_code, **dates)]
    else:
        parents = {d["dept_code"]: d.get("parent_code") for d in departments(deps, trace_id)}
        roots = {parents.get(row["dept_code"]) or row["dept_code"] for row in rows}
        asks = [RemainingSlots(dept_code=root, **dates) for root in sorted(roots)]
    live: dict[str, int] = {}
    for request in asks:
        answer = answer_of(deps.hospital, request, RemainingAnswer, trace_id)
        live.update({row.schedule_id: row.remaining for row in answer.schedules})
    return live


def _fresh_row(deps: Deps, kind: str, key: str) -> Rows | None:
    with deps.sessions() as session:
        row = session.get(CatalogCache, (kind, key))
    if row is None or row.fetched_on != clock.today().isoformat():
        return None
    cached: Rows = json.loads(row.payload)
    return cached


def _cached(deps: Deps, kind: str, key: str, refresh: bool, fetch: Callable[[], Rows]) -> Rows:
    cached = None if refresh else _fresh_row(deps, kind, key)
    if cached is not None:
        return cached
    fresh = fetch()
    _store(deps, kind, key, fresh)
    return fresh


def _store(deps: Deps, kind: str, key: str, rows: Rows) -> None:
    """Insert or replace one cache row (two processes refreshing at once both succeed)."""
    payload, today = json.dumps(rows, ensure_ascii=False), clock.today().isoformat()
    for _ in range(2):
        try:
            with transaction(deps.sessions) as session:
                existing = session.get(CatalogCache, (kind, key))
                if existing is None:
                    session.add(CatalogCache(kind=kind, key=key, fetched_on=today, payload=payload))
                else:
                    existing.fetched_on, existing.payload = today, payload
            return
        except IntegrityError:
            continue  # another process inserted the row first; replace it
