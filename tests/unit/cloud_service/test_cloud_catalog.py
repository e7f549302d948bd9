"""The catalogue cache: fetched once a day, refreshed on a miss or by the daily job; the
remaining counts are never taken from the cache."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from cloud_service import catalog, catalog_job
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import CatalogCache
from cloud_service.settings import _clock_time
from envelope import clock
from tests.unit.cloud_service.fakes import FakeHospital


def _today(offset: int = 0) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


def test_departments_and_doctors_are_fetched_once_a_day(deps: Deps, hospital: FakeHospital) -> None:
    assert catalog.departments(deps, "t") == catalog.departments(deps, "t")
    assert [d["doctor_code"] for d in catalog.doctors(deps, "t", "D01")] == ["DR001"]
    assert len(catalog.doctors(deps, "t")) == 2
    assert hospital.codes() == ["2001", "2002"]
    with deps.sessions.begin() as session:  # yesterday's copy is stale
        session.execute(update(CatalogCache).values(fetched_on=_today(-1)))
    catalog.departments(deps, "t")
    assert hospital.codes()[-1] == "2001"


def test_schedules_come_from_the_cache_and_remaining_is_asked_live(
    deps: Deps, hospital: FakeHospital
) -> None:
    rows = catalog.schedules(deps, "t", start_date=_today(), end_date=_today(1))
    assert len(rows) == 4 and {r["remaining"] for r in rows} == {7}  # 2004, not 2003's 3
    fetched = hospital.codes().count("2003")
    again = catalog.schedules(deps, "t", start_date=_today(2), end_date=_today(2))
    assert len(again) == 2 and hospital.codes().count("2003") == fetched  # cached two weeks
    asked = [body for code, body in hospital.calls if code == "2004"]
    assert {b["dept_code"] for b in asked[:2]} == {"D01", "D05"}  # one ask per root department


def test_schedules_filter_by_department_family_or_doctor(
    deps: Deps, hospital: FakeHospital
) -> None:
    by_dept = catalog.schedules(deps, "t", start_date=_today(), end_date=_today(), dept_code="D01")
    assert [r["doctor_code"] for r in by_dept] == ["DR001"]
    by_doctor = catalog.schedules(
        deps, "t", start_date=_today(), end_date=_today(), doctor_code="DR016"
    )
    assert [r["doctor_code"] for r in by_doctor] == ["DR016"]
    assert hospital.calls[-1] == (
        "2004",
        {"doctor_code": "DR016", "start_date": _today(), "end_date": _today()},
    )


@pytest.mark.parametrize(
    ("start", "end"), [("2026-02-30", "2026-03-01"), (_today(1), _today()), (_today(), _today(14))]
)
def test_bad_or_too_long_ranges_are_refused_with_1009(deps: Deps, start: str, end: str) -> None:
    with pytest.raises(CloudError) as refused:
        catalog.schedules(deps, "t", start_date=start, end_date=end)
    assert refused.value.result_code == "1009"


def test_refresh_fetches_everything_for_two_weeks(deps: Deps, hospital: FakeHospital) -> None:
    counts = catalog_job.refresh_now(deps)
    assert counts == {"departments": 3, "doctors": 2, "schedules": 2 * 14}
    hospital.calls.clear()
    catalog.schedules(deps, "t", start_date=_today(13), end_date=_today(13))
    catalog.departments(deps, "t")
    assert "2003" not in hospital.codes() and "2001" not in hospital.codes()


def test_a_failed_refresh_is_logged_and_reported_empty(deps: Deps, hospital: FakeHospital) -> None:
    from envelope import Reply

    hospital.then("2001", Reply("3001", "HIS unavailable"))
    assert catalog_job.refresh_now(deps) == {}


def test_the_daily_job_fires_at_the_set_time_in_shanghai() -> None:
    trigger = catalog_job.daily_trigger("06:00")
    now = datetime(2026, 11, 26, 7, 0, tzinfo=clock.SHANGHAI)
    fire = trigger.get_next_fire_time(None, now)
    assert fire == datetime(2026, 11, 27, 6, 0, tzinfo=clock.SHANGHAI)


def test_the_refresh_time_setting_must_be_a_time_of_day() -> None:
    assert _clock_time({}, "CATALOG_REFRESH_AT", "06:00") == "06:00"
    assert _clock_time({"CATALOG_REFRESH_AT": "5:30"}, "CATALOG_REFRESH_AT", "06:00") == "05:30"
    with pytest.raises(ValueError, match="CATALOG_REFRESH_AT"):
        _clock_time({"CATALOG_REFRESH_AT": "25:00"}, "CATALOG_REFRESH_AT", "06:00")
