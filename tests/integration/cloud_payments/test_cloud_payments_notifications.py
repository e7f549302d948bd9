"""Channel notifications reaching the cloud: a real one moves the order once; a forged,
replayed, duplicated or amount-mismatched one changes nothing."""

from __future__ import annotations

import secrets
import threading
import time

import requests
from sqlalchemy import func, select

from cloud_service import saga
from cloud_service.models import ChannelNotice, OrderEvent
from devstack.keys import write_key_pair
from tests.integration.cloud_payments.conftest import (
    Cloud,
    new_order,
    order_of,
    wait_for_state,
)
from tests.integration.cloud_payments.forge import alipay_form, wechat_notice, wechat_resource


def _order_no(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6).upper()}"


def _events(cloud: Cloud, order_no: str) -> list[str]:
    with cloud.deps.sessions() as session:
        rows = session.scalars(
            select(OrderEvent.to_state)
            .where(OrderEvent.order_no == order_no)
            .order_by(OrderEvent.id)
        )
        return list(rows)


def _notices(cloud: Cloud, out_trade_no: str) -> int:
    with cloud.deps.sessions() as session:
        count = session.scalar(
            select(func.count()).where(ChannelNotice.out_trade_no == out_trade_no)
        )
    return int(count or 0)


def _pay_wechat(cloud: Cloud, order_no: str, amount_fen: int) -> None:
    order = cloud.wechat.create_h5(order_no, amount_fen, "挂号费")
    requests.post(order["h5_url"] + "/pay", timeout=5).raise_for_status()


def test_wechat_payment_is_taken_once_and_its_replay_is_a_no_op(cloud: Cloud) -> None:
    order_no = _order_no("WXN")
    new_order(cloud.deps, order_no, "WECHAT", 1100)
    _pay_wechat(cloud, order_no, 1100)
    wait_for_state(cloud.deps, order_no, saga.CONFIRMED)
    path, headers, body = cloud.recorder.seen[0]
    history = _events(cloud, order_no)

    replay = requests.post(cloud.url + path, data=body, headers=headers, timeout=5)
    assert replay.status_code == 204  # answered as taken, so WeChat Pay stops
    assert _events(cloud, order_no) == history == ["AWAITING_PAYMENT", "PAID", "CONFIRMED"]
    assert _notices(cloud, order_no) == 1


def test_forged_and_amount_mismatched_wechat_notices_change_nothing(cloud: Cloud, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order_no = _order_no("WXF")
    new_order(cloud.deps, order_no, "WECHAT", 500)
    write_key_pair(tmp_path / "forger.pem", tmp_path / "forger_pub.pem")
    (cloud.keys / "forger.pem").write_bytes((tmp_path / "forger.pem").read_bytes())
    url = cloud.url + "/api/v1/notify/wechat"

    headers, body = wechat_notice(cloud, wechat_resource(order_no, 500), "forger.pem")
    forged = requests.post(url, data=body, headers=headers, timeout=5)
    headers, body = wechat_notice(cloud, wechat_resource(order_no, 1), "wx_platform_private.pem")
    cheap = requests.post(url, data=body, headers=headers, timeout=5)

    assert forged.status_code == cheap.status_code == 400
    assert forged.json()["code"] == "FAIL"
    assert order_of(cloud.deps, order_no).state == saga.AWAITING_PAYMENT
    assert _notices(cloud, order_no) == 0
    # The genuine notice still goes through afterwards: the refused ones left no trace.
    headers, body = wechat_notice(cloud, wechat_resource(order_no, 500), "wx_platform_private.pem")
    assert requests.post(url, data=body, headers=headers, timeout=5).status_code == 204
    assert order_of(cloud.deps, order_no).state in (saga.PAID, saga.CONFIRMED)


def test_the_same_notice_delivered_concurrently_moves_the_order_once(cloud: Cloud) -> None:
    order_no = _order_no("WXC")
    new_order(cloud.deps, order_no, "WECHAT", 800)
    headers, body = wechat_notice(cloud, wechat_resource(order_no, 800), "wx_platform_private.pem")
    statuses: list[int] = []
    start = threading.Barrier(4)

    def deliver() -> None:
        start.wait()
        answer = requests.post(
            cloud.url + "/api/v1/notify/wechat", data=body, headers=headers, timeout=10
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [204] * 4
    assert _events(cloud, order_no).count("PAID") == 1
    assert _notices(cloud, order_no) == 1


def test_alipay_forged_or_mismatched_notices_answer_fail_and_change_nothing(cloud: Cloud) -> None:
    order_no = _order_no("ALF")
    new_order(cloud.deps, order_no, "ALIPAY", 1234)
    url = cloud.url + "/api/v1/notify/alipay"
    forged = requests.post(url, data=alipay_form(cloud, order_no, "12.34", "ali_app_private.pem"))
    cheap = requests.post(
        url, data=alipay_form(cloud, order_no, "0.01", "ali_platform_private.pem")
    )
    assert forged.text == cheap.text == "fail"
    assert order_of(cloud.deps, order_no).state == saga.AWAITING_PAYMENT
    assert _notices(cloud, order_no) == 0


def test_alipay_payment_is_taken_once_and_a_duplicate_answers_success(cloud: Cloud) -> None:
    order_no = _order_no("ALP")
    new_order(cloud.deps, order_no, "ALIPAY", 2000)
    link = cloud.alipay.create_h5(order_no, 2000, "挂号费")
    page = requests.get(link["h5_url"], timeout=5)
    requests.post(page.url.split("?")[0] + "/pay", timeout=5).raise_for_status()
    wait_for_state(cloud.deps, order_no, saga.CONFIRMED)
    path, headers, body = next(s for s in cloud.recorder.seen if s[0].endswith("/alipay"))
    again = requests.post(cloud.url + path, data=body, headers=headers, timeout=5)
    assert again.text == "success"
    assert _events(cloud, order_no) == ["AWAITING_PAYMENT", "PAID", "CONFIRMED"]


def test_a_paid_trade_is_never_charged_twice(cloud: Cloud) -> None:
    order_no = _order_no("WX2")
    new_order(cloud.deps, order_no, "WECHAT", 300)
    order = cloud.wechat.create_h5(order_no, 300, "挂号费")
    first = requests.post(order["h5_url"] + "/pay", timeout=5).json()
    second = requests.post(order["h5_url"] + "/pay", timeout=5).json()
    assert first["trade_state"] == second["trade_state"] == "SUCCESS"
    wait_for_state(cloud.deps, order_no, saga.CONFIRMED)
    time.sleep(0.5)  # a second notification, if any, would have arrived by now
    stored = requests.get(f"{cloud.wechat_sim}/sim/trades/{order_no}", timeout=5).json()
    assert len(stored["notifications"]) == 1
    try:
        cloud.wechat.create_h5(order_no, 300, "挂号费")
        raise AssertionError("a paid out_trade_no was accepted for a new payment")
    except Exception as exc:  # the channel refuses: the order is paid already
        assert getattr(exc, "code", "") == "INVALID_REQUEST"
