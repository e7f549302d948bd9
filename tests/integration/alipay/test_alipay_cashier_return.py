"""The Alipay simulator's cashier sends the payer back to the merchant's result page, and a
wap.pay link can be paid by one POST (a README's curl), checked as the gateway checks it."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.base import TradeNotFound

RESULT = "http://hospital.test/h5/result?order_no={out_trade_no}"


@pytest.fixture
def returning(channel: AlipayChannel) -> AlipayChannel:
    """The cloud's channel with the result page as its return URL template."""
    channel.return_url = RESULT
    return channel


def test_a_wap_link_carries_the_orders_own_result_page_as_return_url(
    returning: AlipayChannel,
) -> None:
    link = returning.create_h5("ALI-RET-0001", 1000, "挂号费")["h5_url"]
    query = parse_qs(urlsplit(link).query)
    assert query["return_url"] == ["http://hospital.test/h5/result?order_no=ALI-RET-0001"]


def test_paying_the_wap_link_by_one_post_pays_and_answers_the_signed_return(
    returning: AlipayChannel, simulator: str
) -> None:
    link = returning.create_h5("ALI-RET-0002", 2345, "门诊缴费")["h5_url"]
    paid = requests.post(f"{simulator}/cashier/pay-link", data={"cashier_url": link}, timeout=5)
    assert paid.status_code == 200 and paid.json()["trade_status"] == "TRADE_SUCCESS"
    back = paid.json()["return_url"]
    assert back.startswith("http://hospital.test/h5/result?order_no=ALI-RET-0002&")
    assert "sign=" in back and "trade_no=" in back
    assert returning.query("ALI-RET-0002").paid
    page = requests.get(f"{simulator}/cashier/ALI-RET-0002", timeout=5)
    assert "确认支付" not in page.text  # paid: the page offers nothing to press


def test_a_wap_link_with_a_changed_amount_is_refused_and_nothing_is_opened(
    returning: AlipayChannel, simulator: str
) -> None:
    link = returning.create_h5("ALI-RET-0003", 100, "挂号费")["h5_url"]
    forged = link.replace(
        quote('"total_amount":"1.00"', safe=""), quote('"total_amount":"0.01"', safe="")
    )
    assert forged != link
    answer = requests.post(f"{simulator}/cashier/pay-link", data={"cashier_url": forged}, timeout=5)
    assert answer.status_code == 400 and answer.json()["sub_code"] == "isv.invalid-signature"
    with pytest.raises(TradeNotFound):
        returning.query("ALI-RET-0003")


@pytest.mark.parametrize(
    "link", ["", "not a url", "http://x/gateway.do?method=alipay.trade.refund"]
)
def test_a_post_of_something_that_is_no_wap_link_is_refused_in_chinese(
    simulator: str, link: str
) -> None:
    answer = requests.post(f"{simulator}/cashier/pay-link", json={"cashier_url": link}, timeout=5)
    assert answer.status_code == 400 and answer.json()["sub_msg"] == "不是手机网站支付的链接"
