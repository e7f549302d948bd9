"""WeChat's H5 cashier sends the payer back to the merchant's page: the channel appends
``redirect_url`` (as WeChat takes it) and the simulator's cashier goes there after paying."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import requests

from cloud_service.channels.wechat import WeChatPayChannel


def test_an_h5_url_carries_the_orders_result_page_as_redirect_url(
    channel: WeChatPayChannel, simulator: str
) -> None:
    channel.return_url = "http://hospital.test/h5/result?order_no={out_trade_no}"
    h5_url = channel.create_h5("WX-RET-0001", 1200, "挂号费")["h5_url"]
    assert h5_url.startswith(simulator + "/cashier/")
    query = parse_qs(urlsplit(h5_url).query)
    assert query["redirect_url"] == ["http://hospital.test/h5/result?order_no=WX-RET-0001"]
    page = requests.get(h5_url, timeout=5).text
    redirect = re.search(r"const back = (.*);", page)
    assert redirect and json.loads(redirect.group(1)) == query["redirect_url"][0]
    paid = requests.post(h5_url.split("?")[0] + "/pay", timeout=5).json()
    assert paid["trade_state"] == "SUCCESS"


def test_a_channel_without_a_return_page_leaves_the_h5_url_as_wechat_gave_it(
    channel: WeChatPayChannel, simulator: str
) -> None:
    assert "?" not in channel.create_h5("WX-RET-0002", 100, "挂号费")["h5_url"]


def test_the_cashier_never_sends_the_payer_to_a_script_or_foreign_scheme_address(
    channel: WeChatPayChannel,
) -> None:
    h5_url = channel.create_h5("WX-RET-0003", 100, "挂号费")["h5_url"]
    for hostile in ("javascript:alert(1)", "weixin://x", "//evil.test/x", "data:text/html,x"):
        page = requests.get(h5_url, params={"redirect_url": hostile}, timeout=5).text
        assert 'const back = "";' in page and "返回商户页面" not in page
