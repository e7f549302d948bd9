"""Fee items come from the HIS through a small interface; a fake stands in for it here."""

from __future__ import annotations

from typing import Any

import pytest

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.messages import insurance
from insurance_frontend.fees import SettleRequest, order_fees, patient_identity

ITEMS = [
    {
        "item_code": "REG01",
        "name": "reg",
        "qty": 1,
        "unit_price": 500,
        "amount": 500,
        "insurance_class": "A",
        "list_code": "001",
    },
    {
        "item_code": "DIAG01",
        "name": "diag",
        "qty": 1,
        "unit_price": 2000,
        "amount": 2000,
        "insurance_class": "B",
        "list_code": "002",
    },
]


class FakeHip:
    def __init__(self, registration: dict[str, Any], **person: Any) -> None:
        self.reg = registration
        self.person = person

    def patient(self, mrn: str, trace_id: str) -> dict[str, Any]:
        return {"mrn": mrn, "id_card_no": "110105198001010016", "name": "张伟", **self.person}

    def registration(self, order_no: str, trace_id: str) -> dict[str, Any]:
        return self.reg

    def bills(self, mrn: str, trace_id: str) -> dict[str, Any]:
        return {"bills": [{"bill_no": "B1", "amount": 2500}], "bills_digest": "d1"}

    def bill_detail(self, bill_no: str, mrn: str, trace_id: str) -> dict[str, Any]:
        return {"items": ITEMS}


def _reg(**change: Any) -> dict[str, Any]:
    return {
        "status": "LOCKED",
        "lock_id": "L1",
        "mrn": "M1",
        "items": ITEMS,
        "fees": {"reg_fee": 500, "diag_fee": 2000, "total": 2500},
        **change,
    }


def request(body: dict[str, Any]) -> SettleRequest:
    return SettleRequest.of(insurance.Presettle.model_validate(body))


REQUEST = request(
    {"order_no": "O1", "mrn": "M1", "kind": "REG", "lock_id": "L1", "acct_used": True}
)


def test_registration_fees_are_the_his_items_with_their_total() -> None:
    fees = order_fees(FakeHip(_reg()), REQUEST, "t")
    assert fees.total_fen == 2500
    assert [item.chrgitm_lv for item in fees.items] == ["01", "02"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"lock_id": "L2"}, codes.LOCK_EXPIRED),
        ({"mrn": "M2"}, codes.PATIENT_MISMATCH),
        ({"status": "RELEASED"}, codes.ORDER_STATE_CONFLICT),
        ({"fees": {"total": 2600}}, codes.AMOUNT_MISMATCH),
    ],
)
def test_registration_that_does_not_match_is_refused(change: dict[str, Any], code: str) -> None:
    with pytest.raises(EnvelopeError) as caught:
        order_fees(FakeHip(_reg(**change)), REQUEST, "t")
    assert caught.value.result_code == code


def test_charge_needs_exactly_the_listed_bills() -> None:
    body = {"order_no": "O2", "mrn": "M1", "kind": "CHARGE", "bill_nos": ["B1"]}
    assert (
        order_fees(FakeHip(_reg()), request({**body, "bills_digest": "d1"}), "t").total_fen == 2500
    )
    with pytest.raises(EnvelopeError) as caught:
        order_fees(FakeHip(_reg()), request({**body, "bills_digest": "old"}), "t")
    assert caught.value.result_code == codes.BILLS_CHANGED


def test_patient_identity_is_read_where_the_1003_answer_puts_it() -> None:
    assert patient_identity(FakeHip(_reg()), "M1", "t") == ("110105198001010016", "张伟")


@pytest.mark.parametrize(
    "person",
    [
        {"id_card_no": None, "demographics": {"id_card_no": "110105198001010016", "name": "张伟"}},
        {"name": "", "patient": {"id_card_no": "110105198001010016", "name": "张伟"}},
        {"id_card_no": 110105198001010016},
        {"name": ["张伟"]},
    ],
)
def test_patient_identity_elsewhere_or_of_another_type_names_no_one(
    person: dict[str, Any],
) -> None:
    with pytest.raises(EnvelopeError) as caught:
        patient_identity(FakeHip(_reg(), **person), "M1", "t")
    assert caught.value.result_code == codes.PATIENT_NOT_FOUND
