"""The payment simulators' one cashier page: each channel's wording, colours and buttons on
the shared base, and a merchant's hostile subject or return address shown as text only."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Blueprint, Flask, render_template

from simulators import cashier_page
from simulators.alipay import cashier as alipay_cashier
from simulators.wechatpay import cashier as wechat_cashier

HOSTILE = '<img src=x onerror="alert(1)">'


def render(bp: Blueprint, template: str, **context: Any) -> str:
    app = Flask(__name__)
    app.register_blueprint(bp)
    app.register_blueprint(cashier_page.templates)
    with app.test_request_context():
        return render_template(template, **context)


def wechat(state: str, redirect_url: str = "") -> str:
    trade = SimpleNamespace(
        description=HOSTILE, out_trade_no="ORD-1", trade_state=state, prepay_id="wx1"
    )
    return render(
        wechat_cashier.bp,
        "wechatpay_cashier.html",
        trade=trade,
        amount_yuan="7.00",
        state_desc="未支付",
        redirect_url=redirect_url,
    )


def alipay(status: str) -> str:
    trade = SimpleNamespace(subject=HOSTILE, out_trade_no="ORD-2", trade_status=status)
    return render(
        alipay_cashier.bp,
        "alipay_cashier.html",
        trade=trade,
        amount_yuan="7.00",
        status_desc="等待付款",
    )


@pytest.mark.parametrize(
    ("page", "name", "colour", "posts_to"),
    [
        (wechat("NOTPAY"), "微信支付", "#07c160", '"/cashier/wx1"'),
        (alipay("WAIT_BUYER_PAY"), "支付宝", "#1677ff", '"/cashier/ORD-2"'),
    ],
)
def test_an_unpaid_trade_shows_its_channel_and_both_buttons(
    page: str, name: str, colour: str, posts_to: str
) -> None:
    assert f"<title>{name}（模拟收银台）</title>" in page
    assert f"这是开发用的{name}模拟器，不会产生真实扣款。" in page
    assert colour in page and "￥7.00" in page
    assert ">确认支付</button>" in page and ">放弃</button>" in page
    assert f'fetch({posts_to} + "/" + action' in page


@pytest.mark.parametrize("page", [wechat("SUCCESS"), alipay("TRADE_SUCCESS")])
def test_a_paid_trade_offers_no_buttons(page: str) -> None:
    assert "确认支付</button>" not in page and "放弃</button>" not in page


def test_a_hostile_subject_and_return_address_are_shown_as_text() -> None:
    page = wechat("NOTPAY", redirect_url='https://shop/back?a="><script>x</script>')
    assert HOSTILE not in page and "&lt;img src=x" in page
    assert "<script>x</script>" not in page
    assert "返回商户页面" in page
    assert HOSTILE not in alipay("WAIT_BUYER_PAY")
