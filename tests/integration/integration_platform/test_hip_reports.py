"""Lab and exam reports over envelopes: 5001 to 5004."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from envelope import clock

Call = Callable[..., tuple[str, dict[str, Any]]]

ZHANG_WEI, LI_NA = "M00000001", "M00000002"


def _year() -> dict[str, str]:
    today = clock.today()
    return {"start_date": (today - timedelta(days=365)).isoformat(), "end_date": today.isoformat()}


def test_lab_reports_are_listed_six_months_back_only(call: Call) -> None:
    code, body = call("5001", {"mrn": ZHANG_WEI, **_year()})
    assert code == "0000"
    assert [r["report_id"] for r in body["reports"]] == ["LR00000001"]
    assert call("5001", {"mrn": LI_NA, **_year()})[1]["reports"][0]["report_id"] == "LR00000003"


def test_exam_reports_are_listed_six_months_back_only(call: Call) -> None:
    code, body = call("5002", {"mrn": ZHANG_WEI, **_year()})
    assert code == "0000"
    assert [r["report_id"] for r in body["reports"]] == ["ER00000001"]


def test_lab_detail_flags_abnormal_values(call: Call) -> None:
    code, body = call("5003", {"report_id": "LR00000001", "mrn": ZHANG_WEI})
    assert code == "0000"
    items = {i["item_code"]: i for i in body["report"]["items"]}
    assert items["LDL"]["abnormal_flag"] == "H" and items["LDL"]["abnormal"] is True
    assert items["LDL"]["reference_range"] == "0.00-3.37" and items["LDL"]["unit"] == "mmol/L"
    assert items["TG"]["abnormal"] is False


def test_exam_detail_gives_modality_findings_conclusion(call: Call) -> None:
    code, body = call("5004", {"report_id": "ER00000001", "mrn": ZHANG_WEI})
    assert code == "0000"
    assert body["report"]["modality"] == "CT"
    assert body["report"]["findings"] and body["report"]["conclusion"]


def test_another_patients_report_is_refused_with_2011(call: Call) -> None:
    assert call("5003", {"report_id": "LR00000001", "mrn": LI_NA})[0] == "2011"
    assert call("5004", {"report_id": "ER00000001", "mrn": LI_NA})[0] == "2011"


def test_reports_older_than_six_months_are_not_shown(call: Call) -> None:
    assert call("5003", {"report_id": "LR00000002", "mrn": ZHANG_WEI})[0] == "2008"
    assert call("5004", {"report_id": "ER00000002", "mrn": ZHANG_WEI})[0] == "2008"
    assert call("5003", {"report_id": "LR-NONE", "mrn": ZHANG_WEI})[0] == "2008"
