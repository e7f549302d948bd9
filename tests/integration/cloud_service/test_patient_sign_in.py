"""Patients sign in and bind records only with proof (DESIGN §11), attacked as a stranger
would: codes guessed, replayed, kept past their time; tokens reused after refresh or sign-out;
records of people whose ID number and name are known, bound without their phone."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cloud_service.channels.base import ChannelRejected
from envelope import Reply, codes
from tests.integration.cloud_service.conftest import build_app
from tests.unit.cloud_service.fakes import FakeChannel, FakeSms, clear_send_limits, ok, sign_in

PHONE = "13800000001"  # the fake hospital's record phone (张伟)
OTHER = "13900000042"


def _sms(app: Flask) -> FakeSms:
    sms: FakeSms = app.extensions["cloud_deps"].identity.sms
    return sms


def _redis(app: Flask) -> Any:
    return app.extensions["cloud_deps"].identity.pending


def _ask(client: FlaskClient, phone: str) -> Any:
    return client.post("/api/v1/auth/sms-codes", json={"phone": phone})


def _grant(client: FlaskClient, **body: str) -> Any:
    return client.post("/api/v1/auth/tokens", json=body)


def _sms_grant(client: FlaskClient, phone: str, code: str) -> Any:
    return _grant(client, grant="sms", phone=phone, code=code)


def _fresh_code(app: Flask, client: FlaskClient, phone: str) -> str:
    clear_send_limits(app)
    assert _ask(client, phone).status_code == 202
    return _sms(app).last_code(phone)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- codes ---------------------------------------------------------------------------------


def test_a_known_and_an_unknown_phone_get_the_same_answer(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, PHONE)  # PHONE is a user now; OTHER has never been seen
    clear_send_limits(app)
    known, unknown = _ask(client, PHONE), _ask(client, OTHER)
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json() == {"expires_in": 300, "resend_after": 1}


def test_a_code_is_six_digits_and_stored_only_as_a_keyed_hash(app: Flask) -> None:
    client = app.test_client()
    code = _fresh_code(app, client, OTHER)
    assert len(code) == 6 and code.isdigit()
    stored = _redis(app).hgetall(f"cloud:auth:code:phone:{OTHER}")
    assert code.encode() not in b"".join(stored.values())


def test_a_code_is_single_use(app: Flask) -> None:
    client = app.test_client()
    code = _fresh_code(app, client, OTHER)
    assert _sms_grant(client, OTHER, code).status_code == 200
    again = _sms_grant(client, OTHER, code)
    assert again.status_code == 409 and again.get_json()["result_code"] == "2017"


def test_an_expired_code_is_refused_with_2017(app: Flask) -> None:
    client = app.test_client()
    code = _fresh_code(app, client, OTHER)
    _redis(app).pexpire(f"cloud:auth:code:phone:{OTHER}", 1)  # its 300 s have passed
    time.sleep(0.01)
    assert _sms_grant(client, OTHER, code).get_json()["result_code"] == "2017"


def test_four_wrong_tries_leave_the_code_and_the_fifth_ends_it(app: Flask) -> None:
    client = app.test_client()
    code = _fresh_code(app, client, OTHER)
    for _ in range(4):
        assert _sms_grant(client, OTHER, _wrong(code)).get_json()["result_code"] == "2017"
    assert _sms_grant(client, OTHER, code).status_code == 200
    code = _fresh_code(app, client, OTHER)
    for _ in range(5):
        _sms_grant(client, OTHER, _wrong(code))
    assert _sms_grant(client, OTHER, code).get_json()["result_code"] == "2017"


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "１２３４５６", None])
def test_a_malformed_code_is_refused_not_crashed(app: Flask, code: str | None) -> None:
    client = app.test_client()
    _fresh_code(app, client, OTHER)
    answer = client.post("/api/v1/auth/tokens", json={"grant": "sms", "phone": OTHER, "code": code})
    assert answer.status_code in (400, 409)
    assert answer.get_json()["result_code"] in ("2017", "1009")


@pytest.mark.parametrize("phone", ["1380000000", "23800000001", "138000000011", "+8613800000001"])
def test_a_bad_phone_gets_no_code(app: Flask, phone: str) -> None:
    answer = _ask(app.test_client(), phone)
    assert answer.status_code == 400 and answer.get_json()["result_code"] == "1009"
    assert _sms(app).sent == []


@pytest.fixture()
def strict(tmp_path: Path, redis_url: str) -> Flask:
    """The production send limits of section 11 (and 2 codes an hour from one address)."""
    app = build_app(
        tmp_path,
        redis_url,
        SMS_CODE_RESEND_SECONDS="60",
        SMS_CODES_PER_PHONE_DAILY="10",
        SMS_CODES_PER_ADDRESS_HOURLY="2",
    )
    clear_send_limits(app)
    return app


def test_a_second_code_within_a_minute_is_refused_with_1008(strict: Flask) -> None:
    client = strict.test_client()
    assert _ask(client, OTHER).status_code == 202
    again = _ask(client, OTHER)
    assert again.status_code == 429 and again.get_json()["result_code"] == "1008"
    assert len(_sms(strict).sent) == 1


def test_one_address_asking_for_many_phones_is_limited(strict: Flask) -> None:
    client = strict.test_client()
    answers = [_ask(client, f"1390000{n:04d}").status_code for n in range(4)]
    assert answers == [202, 202, 429, 429]


def test_a_phone_gets_at_most_ten_codes_a_day(tmp_path: Path, redis_url: str) -> None:
    app = build_app(tmp_path, redis_url, SMS_CODE_RESEND_SECONDS="1", SMS_CODES_PER_PHONE_DAILY="3")
    clear_send_limits(app)
    client = app.test_client()
    answers = []
    for _ in range(4):
        answers.append(_ask(client, OTHER).status_code)
        time.sleep(1.05)
    assert answers == [202, 202, 202, 429]


# --- tokens --------------------------------------------------------------------------------


def test_tokens_are_opaque_short_lived_and_hold_nothing_personal(app: Flask) -> None:
    client = app.test_client()
    answer = _sms_grant(client, OTHER, _fresh_code(app, client, OTHER)).get_json()
    assert answer["token_type"] == "Bearer" and 0 < answer["expires_in"] <= 7200
    for token in (answer["access_token"], answer["refresh_token"]):
        assert len(token) >= 40 and OTHER not in token and answer["user_id"] not in token
    assert answer["entry"] == "APP" and answer["phone_verified"] is True


def _signed_in(app: Flask, client: FlaskClient) -> dict[str, Any]:
    answer: dict[str, Any] = _sms_grant(client, OTHER, _fresh_code(app, client, OTHER)).get_json()
    return answer


def test_a_refresh_answers_a_new_pair_and_the_old_refresh_token_is_spent(app: Flask) -> None:
    client = app.test_client()
    first = _signed_in(app, client)
    second = _grant(client, grant="refresh", refresh_token=first["refresh_token"]).get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (
        client.get("/api/v1/patients", headers=_bearer(second["access_token"])).status_code == 200
    )


def test_a_refresh_token_presented_twice_revokes_the_whole_sign_in(app: Flask) -> None:
    client = app.test_client()
    first = _signed_in(app, client)
    second = _grant(client, grant="refresh", refresh_token=first["refresh_token"]).get_json()
    replayed = _grant(client, grant="refresh", refresh_token=first["refresh_token"])
    assert replayed.status_code == 401 and replayed.get_json()["result_code"] == "1003"
    for token in (first["access_token"], second["access_token"]):
        assert client.get("/api/v1/patients", headers=_bearer(token)).status_code == 401
    later = _grant(client, grant="refresh", refresh_token=second["refresh_token"])
    assert later.status_code == 401


def test_signing_out_ends_the_access_and_the_refresh_token_at_once(app: Flask) -> None:
    client = app.test_client()
    tokens = _signed_in(app, client)
    assert (
        client.delete("/api/v1/auth/tokens", headers=_bearer(tokens["access_token"])).status_code
        == 204
    )
    assert (
        client.get("/api/v1/patients", headers=_bearer(tokens["access_token"])).status_code == 401
    )
    refreshed = _grant(client, grant="refresh", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 401 and refreshed.get_json()["result_code"] == "1003"


def test_an_expired_access_token_is_1003(app: Flask) -> None:
    client = app.test_client()
    tokens = _signed_in(app, client)
    for key in _redis(app).scan_iter("cloud:auth:access:*"):
        _redis(app).pexpire(key, 1)  # its two hours have passed
    time.sleep(0.01)
    answer = client.get("/api/v1/patients", headers=_bearer(tokens["access_token"]))
    assert answer.status_code == 401 and answer.get_json()["result_code"] == "1003"


def test_an_access_token_whose_sign_in_ended_is_1003_and_one_stands_for_its_session(
    app: Flask,
) -> None:
    """The token and its sign-in are read in one round trip: a token left behind by a
    sign-in that ended (its session gone), or a session missing its fields, is no one."""
    client = app.test_client()
    tokens = _signed_in(app, client)
    assert (
        client.get("/api/v1/patients", headers=_bearer(tokens["access_token"])).status_code == 200
    )
    digest = hashlib.sha256(tokens["access_token"].encode()).hexdigest()
    session = b"cloud:auth:session:" + _redis(app).get("cloud:auth:access:" + digest)
    _redis(app).hdel(session, "entry")
    broken = client.get("/api/v1/patients", headers=_bearer(tokens["access_token"]))
    assert broken.status_code == 401 and broken.get_json()["result_code"] == "1003"
    _redis(app).delete(session)
    ended = client.get("/api/v1/patients", headers=_bearer(tokens["access_token"]))
    assert ended.status_code == 401 and ended.get_json()["result_code"] == "1003"


@pytest.mark.parametrize("token", ["forged", "x" * 43, "Bearer", ""])
def test_a_made_up_refresh_token_is_1003(app: Flask, token: str) -> None:
    answer = _grant(app.test_client(), grant="refresh", refresh_token=token)
    assert answer.status_code in (400, 401) and answer.get_json()["result_code"] in ("1003", "1009")


def test_a_bare_phone_number_no_longer_signs_anyone_in(app: Flask) -> None:
    answer = app.test_client().post("/api/v1/users", json={"phone": PHONE})
    assert answer.status_code == 410
    assert "/api/v1/auth/sms-codes" in answer.get_json()["result_msg"]
    assert "token" not in answer.get_json()


# --- binding with proof ----------------------------------------------------------------------


def _hospital(app: Flask) -> Any:
    return app.extensions["cloud_deps"].hospital


def _record(mrn: str = "M0001", phone: str = PHONE, **extra: Any) -> Any:
    return ok(
        exists=True, patient_id="P1", mrn=mrn, patient_type="EMPLOYEE", insured=True,
        phone=phone, **extra,
    )  # fmt: skip


def _bind(client: FlaskClient, number: str = "110105198001010016", name: str = "张伟") -> Any:
    return client.post("/api/v1/patients", json={"id_card_no": number, "name": name})


def _user(app: Flask, phone: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {sign_in(client, phone)}"
    return client


def test_the_records_own_phone_binds_at_once(app: Flask) -> None:
    answer = _bind(_user(app, PHONE))
    assert answer.status_code == 200 and answer.get_json()["mrn"] == "M0001"


def test_knowing_the_id_number_and_name_is_not_enough_to_bind(app: Flask) -> None:
    stranger = _user(app, OTHER)
    pending = _bind(stranger)
    assert pending.status_code == 202
    body = pending.get_json()
    assert body["verify"] == "SMS" and body["phone_masked"] == "138****0001"
    real = _sms(app).last_code(PHONE)  # texted to 张伟's phone, which the stranger lacks
    verify = f"/api/v1/patients/{body['binding_id']}/verify"
    for n in range(1, 6):
        guess = f"{(int(real) + n) % 10**6:06d}"
        assert stranger.post(verify, json={"code": guess}).get_json()["result_code"] == "2017"
    # five wrong guesses end the code: even the right one does not bind now
    assert stranger.post(verify, json={"code": real}).get_json()["result_code"] == "2017"
    assert stranger.get("/api/v1/patients").get_json()["patients"] == []
    assert stranger.get("/api/v1/patients/M0001/reports").get_json()["result_code"] == "2011"


def test_the_code_sent_to_the_records_phone_binds(app: Flask) -> None:
    family = _user(app, OTHER)
    body = _bind(family).get_json()
    code = _sms(app).last_code(PHONE)  # the record's owner reads it to the family member
    wrong = family.post(
        f"/api/v1/patients/{body['binding_id']}/verify", json={"code": _wrong(code)}
    )
    assert wrong.get_json()["result_code"] == "2017"
    bound = family.post(f"/api/v1/patients/{body['binding_id']}/verify", json={"code": code})
    assert bound.status_code == 200 and bound.get_json()["mrn"] == "M0001"
    replay = family.post(f"/api/v1/patients/{body['binding_id']}/verify", json={"code": code})
    assert replay.get_json()["result_code"] == "2017"


def test_another_users_binding_id_cannot_be_verified(app: Flask) -> None:
    family = _user(app, OTHER)
    body = _bind(family).get_json()
    code = _sms(app).last_code(PHONE)
    thief = _user(app, "13900000043")
    stolen = thief.post(f"/api/v1/patients/{body['binding_id']}/verify", json={"code": code})
    assert stolen.status_code == 409 and stolen.get_json()["result_code"] == "2017"
    assert thief.get("/api/v1/patients").get_json()["patients"] == []


def test_a_record_without_a_phone_is_bound_at_the_window(app: Flask) -> None:
    _hospital(app).then("1001", _record(phone=""))
    answer = _bind(_user(app, PHONE))
    assert answer.status_code == 409 and answer.get_json()["result_code"] == "2019"
    assert "窗口" in answer.get_json()["result_msg"]


def test_a_child_under_fourteen_is_bound_through_the_guardians_phone(app: Flask) -> None:
    _hospital(app).then("1001", _record(mrn="M0011"))  # 张小宝's record carries 张伟's phone
    guardian = _bind(_user(app, PHONE), "110105201805050018", "张小宝")
    assert guardian.status_code == 200 and guardian.get_json()["relation"] == "CHILD"
    other = _bind(_user(app, OTHER), "110105201805050018", "张小宝")
    assert other.status_code == 202 and other.get_json()["phone_masked"] == "138****0001"


def test_at_most_five_records_a_user(app: Flask) -> None:
    _hospital(app).then("1001", *[_record(mrn=f"M00{n}") for n in range(6)])
    user = _user(app, PHONE)
    assert [_bind(user).status_code for _ in range(5)] == [200] * 5
    sixth = _bind(user)
    assert sixth.status_code == 409 and sixth.get_json()["result_code"] == "2021"


def test_a_refusal_never_tells_whether_the_id_number_exists(app: Flask) -> None:
    """The HIS answers 1002 "registered under another name" when the number exists with
    another name: the patient is told only that the record cannot be verified."""
    _hospital(app).then("1001", ok(exists=False))
    _hospital(app).then(
        "1002",
        Reply(codes.PATIENT_MISMATCH, "the ID card number is registered under another name"),
    )
    answer = _bind(_user(app, PHONE), "110105198001010016", "李四")
    refusal = answer.get_json()
    assert answer.status_code == 409 and refusal["result_code"] == "2011"
    assert "another name" not in refusal["result_msg"] and "无法核验" in refusal["result_msg"]


# --- the apps' entries -----------------------------------------------------------------------


@dataclass
class OAuthChannel(FakeChannel):
    """A channel whose OAuth exchange knows a few codes, each once."""

    codes: dict[str, str] = field(default_factory=dict)

    def oauth_openid(self, code: str) -> str:
        if code not in self.codes:
            raise ChannelRejected(200, "40163", "code been used")
        return self.codes.pop(code)

    oauth_user = oauth_openid


def _with_apps(app: Flask) -> OAuthChannel:
    channel = OAuthChannel(codes={"WX-CODE": "openid-A", "ALI-CODE": "2088000000000001"})
    deps = app.extensions["cloud_deps"]
    app.extensions["cloud_deps"] = replace(deps, channels={"WECHAT": channel, "ALIPAY": channel})
    return channel


@pytest.mark.parametrize(("grant", "field_name", "code", "entry"), [
    ("wechat", "code", "WX-CODE", "WECHAT"), ("alipay", "auth_code", "ALI-CODE", "ALIPAY"),
])  # fmt: skip
def test_an_app_user_signs_in_once_per_code_and_verifies_a_phone_before_binding(
    app: Flask, grant: str, field_name: str, code: str, entry: str
) -> None:
    _with_apps(app)
    client = app.test_client()
    first = _grant(client, grant=grant, **{field_name: code})
    assert first.status_code == 200
    tokens = first.get_json()
    assert tokens["entry"] == entry and tokens["phone_verified"] is False
    again = _grant(client, grant=grant, **{field_name: code})
    assert again.status_code == 409 and again.get_json()["result_code"] == "2017"
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['access_token']}"
    assert _bind(client).get_json()["result_code"] == "2018"
    verified = client.post(
        "/api/v1/auth/phone", json={"phone": PHONE, "code": _fresh_code(app, client, PHONE)}
    )
    assert verified.status_code == 200 and verified.get_json()["phone_masked"] == "138****0001"
    assert _bind(client).status_code == 200


def test_a_wechat_user_pays_by_wechat_only(app: Flask) -> None:
    _with_apps(app)
    client = app.test_client()
    tokens = _grant(client, grant="wechat", code="WX-CODE").get_json()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['access_token']}"
    client.post(
        "/api/v1/auth/phone", json={"phone": PHONE, "code": _fresh_code(app, client, PHONE)}
    )
    assert _bind(client).status_code == 200
    answer = client.post(
        "/api/v1/registrations",
        json={"mrn": "M0001", "schedule_id": "S1", "pay_mode": "SELF_PAY", "channel": "ALIPAY"},
    )
    assert answer.status_code == 400 and "微信" in answer.get_json()["result_msg"]


def test_a_wechat_user_who_verifies_a_known_phone_joins_that_user(app: Flask) -> None:
    _with_apps(app)
    sms_user = _user(app, PHONE)
    assert _bind(sms_user).status_code == 200  # the phone's user already has a record
    client = app.test_client()
    tokens = _grant(client, grant="wechat", code="WX-CODE").get_json()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['access_token']}"
    code = _fresh_code(app, client, PHONE)
    joined = client.post("/api/v1/auth/phone", json={"phone": PHONE, "code": code})
    assert joined.status_code == 200, joined.get_json()
    assert [p["mrn"] for p in client.get("/api/v1/patients").get_json()["patients"]] == ["M0001"]
    again = _grant(app.test_client(), grant="wechat", code="WX-CODE")  # the code is spent
    assert again.get_json()["result_code"] == "2017"
