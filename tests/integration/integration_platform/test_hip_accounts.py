"""Patient accounts over envelopes: 1001, 1002, 1003, and the envelope checks in front."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from envelope import EnvelopeClient, KeyRing, sign_matches
from servicekit import idcard

Call = Callable[..., tuple[str, dict[str, Any]]]


ZHANG_WEI = {"id_card_no": "110105198001010016", "name": "张伟"}
NEW_PERSON = {
    "id_card_no": idcard.complete("11010119950505123"),
    "name": "测试人",
    "phone": "13900000000",
    "gender": "M",
    "birth_date": "1995-05-05",
}


def test_known_patient_is_found_with_record_number_type_and_phone(call: Call) -> None:
    code, body = call("1001", ZHANG_WEI)
    assert code == "0000"
    assert body == {
        "exists": True,
        "patient_id": "P00000001",
        "mrn": "M00000001",
        "patient_type": "EMPLOYEE",
        "insured": True,
        "phone": "13800000001",  # the cloud proves the record is the user's by a code to it
    }


def test_wrong_name_answers_exists_false(call: Call) -> None:
    code, body = call("1001", {**ZHANG_WEI, "name": "李娜"})
    assert (code, body) == ("0000", {"exists": False})


def test_unknown_valid_id_card_answers_exists_false(call: Call) -> None:
    assert call("1001", {"id_card_no": NEW_PERSON["id_card_no"], "name": "测试人"}) == (
        "0000",
        {"exists": False},
    )


def test_bad_check_digit_is_refused_with_2010(call: Call) -> None:
    code, _ = call("1001", {**ZHANG_WEI, "id_card_no": "110105198001010017"})
    assert code == "2010"


def test_create_is_idempotent_on_id_card_number(call: Call) -> None:
    code, first = call("1002", NEW_PERSON)
    assert code == "0000" and first["created"] is True
    code, second = call("1002", NEW_PERSON)
    assert code == "0000" and second["created"] is False
    assert (second["patient_id"], second["mrn"]) == (first["patient_id"], first["mrn"])
    assert (
        call("1001", {"id_card_no": NEW_PERSON["id_card_no"], "name": "测试人"})[1]["mrn"]
        == first["mrn"]
    )


def test_create_accepts_a_lowercase_x_check_character(call: Call) -> None:
    first17 = next(
        f"11010119900101{n:03d}"
        for n in range(1000)
        if idcard.check_digit(f"11010119900101{n:03d}") == "X"
    )
    code, body = call("1002", {**NEW_PERSON, "id_card_no": first17 + "x"})
    assert code == "0000" and body["created"] is True


def test_create_with_invalid_id_card_is_refused_with_2010(call: Call) -> None:
    assert call("1002", {**NEW_PERSON, "id_card_no": "12345"})[0] == "2010"
    assert call("1002", {**NEW_PERSON, "id_card_no": "110105198013010016"})[0] == "2010"


def test_create_for_a_known_number_under_another_name_is_refused_with_2011(call: Call) -> None:
    code, body = call("1002", {**NEW_PERSON, "id_card_no": ZHANG_WEI["id_card_no"]})
    assert code == "2011" and body == {}


def test_create_with_bad_gender_is_refused_with_1009(call: Call) -> None:
    assert call("1002", {**NEW_PERSON, "gender": "X"})[0] == "1009"


def test_patient_info_gives_demographics(call: Call) -> None:
    code, body = call("1003", {"mrn": "M00000002"})
    assert code == "0000"
    assert body["id_card_no"] == "310101199206150027" and body["name"] == "李娜"
    assert (body["gender"], body["birth_date"], body["patient_type"], body["insured"]) == (
        "F",
        "1992-06-15",
        "RESIDENT",
        True,
    )


def test_patient_info_of_unknown_record_is_refused_with_2001(call: Call) -> None:
    assert call("1003", {"mrn": "M99999999"})[0] == "2001"


def test_insurance_frontend_is_answered_on_its_own_link(call: Call) -> None:
    code, body = call("1003", {"mrn": "M00000001"}, sender="INSFE")
    assert code == "0000" and body["name"] == "张伟"


def test_cloud_sender_with_the_insfe_hip_key_is_refused_with_1003(call: Call) -> None:
    other = KeyRing.from_settings("INSFE_HIP", "insfe-hip-test-1", "test-insfe-hip-secret")
    assert call("1003", {"mrn": "M00000001"}, sender="CLOUD", ring=other)[0] == "1003"


def test_replayed_envelope_is_rejected_with_1005(app: Flask, hip_ring: KeyRing) -> None:
    client = app.test_client()
    envelope = EnvelopeClient(
        "http://unused", hip_ring, sender="CLOUD", receiver="HIP", hospital_code="H00001"
    ).build("1003", {"mrn": "M00000001"})
    assert client.post("/envelope", json=envelope).get_json()["header"]["result_code"] == "0000"
    replay = client.post("/envelope", json=envelope)
    assert replay.status_code == 401
    assert replay.get_json()["header"]["result_code"] == "1005"


def test_answers_are_signed_with_the_link_key(app: Flask, hip_ring: KeyRing) -> None:
    envelope = EnvelopeClient(
        "http://unused", hip_ring, sender="CLOUD", receiver="HIP", hospital_code="H00001"
    ).build("2001", {})
    reply: dict[str, Any] = app.test_client().post("/envelope", json=envelope).get_json()
    assert reply["header"]["ref_msg_id"] == envelope["header"]["msg_id"]
    assert sign_matches(reply["header"], reply["body"], hip_ring.active_key)


def test_trade_code_of_another_service_is_refused_with_1007(call: Call) -> None:
    assert call("4003", ZHANG_WEI)[0] == "1007"


def test_health_check_answers(app: Flask) -> None:
    assert app.test_client().get("/healthz").get_json()["status"] == "ok"
