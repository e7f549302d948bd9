"""A WeChat payment made through the whole system shows in the channel's trade bill, read
with the cloud's own channel configuration from the simulator running under gunicorn."""

from __future__ import annotations

from pathlib import Path

from cloud_service.channels.wechat import WeChatPayChannel
from devstack.stack import Stack
from envelope import clock
from tests.e2e.patient import Patient, pay_at_cashier


def _channel(stack: Stack) -> WeChatPayChannel:
    env = stack.env
    return WeChatPayChannel(
        api_url=env["WECHAT_API_URL"],
        mchid=env["WECHAT_MCHID"],
        appid=env["WECHAT_APPID"],
        apiv3_key=env["WECHAT_APIV3_KEY"],
        merchant_serial_no=env["WECHAT_MERCHANT_SERIAL_NO"],
        merchant_private_key=Path(env["WECHAT_MERCHANT_PRIVATE_KEY_PATH"]).read_text(),
        public_key_id=env["WECHAT_PUBLIC_KEY_ID"],
        public_key=Path(env["WECHAT_PUBLIC_KEY_PATH"]).read_text(),
        notify_url=f"{env['CLOUD_PUBLIC_URL']}/api/v1/notify/wechat",
    )


def test_wechat_payment_is_in_the_days_trade_bill_with_its_amount_in_fen(stack: Stack) -> None:
    patient = Patient(stack.url("cloud_service"), "13800000003", stack.url("sms"))  # 王强
    patient.sign_in()
    record = patient.bind("440304197503200035", "王强")
    today = clock.today().isoformat()
    listed = patient.call("GET", "/schedules", params={"start_date": today, "end_date": today})
    free = [s for s in listed.json()["schedules"] if s["remaining"] > 0]
    # The last free schedule: other tests book the first one for the same seeded patients.
    order = patient.register(record["mrn"], free[-1]["schedule_id"], "SELF_PAY", "WECHAT")
    paying = patient.pay(order["order_no"])
    pay_at_cashier(paying["cashier_url"])
    confirmed = patient.wait_for_state(order["order_no"], "CONFIRMED")

    rows = _channel(stack).trade_bill(today)
    mine = [r for r in rows if r.out_trade_no == confirmed["out_trade_no"]]
    assert [(r.kind, r.amount_fen) for r in mine] == [("PAYMENT", confirmed["cash_fen"])]
    assert mine[0].transaction_id == confirmed["channel_trade_no"]
