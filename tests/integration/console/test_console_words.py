"""The console shows states, kinds, channels and roles as Chinese words from one mapping,
never the ledger's bare codes."""

from __future__ import annotations

import re

from flask import Flask

from cloud_service import saga
from cloud_service.web import labels
from tests.integration.console.test_console_pages import _order, _signed_in, app  # noqa: F401


def _cells(page: str) -> str:
    """The text the staff reads: the page without its tags, attributes and scripts."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S))


def test_the_order_list_names_kind_state_and_channel_in_chinese(app: Flask) -> None:  # noqa: F811
    _order(app, "R1", saga.PARTIALLY_REFUNDED)
    client, _ = _signed_in(app, "viewer")
    text = _cells(client.get("/console/orders").get_data(as_text=True))
    assert "挂号" in text and "已部分退款" in text and "微信支付" in text
    assert "PARTIALLY_REFUNDED" not in text and "WECHAT" not in text and " REG " not in text
    assert "查看员" in text and "VIEWER" not in text


def test_the_order_page_and_its_cloud_timeline_name_states_in_chinese(app: Flask) -> None:  # noqa: F811
    _order(app, "R1", saga.CONFIRMED)
    client, _ = _signed_in(app, "operator")
    page = client.get("/console/orders/R1").get_data(as_text=True)
    assert 'data-state="CONFIRMED">支付成功<' in page
    text = _cells(page)
    assert "已支付，正在结算 → 支付成功" in text and "全自费 / 微信支付" in text
    assert "云端" in text and "SELF_PAY" not in text


def test_an_unknown_code_is_named_as_other_in_chinese_and_a_missing_one_as_a_dash() -> None:
    assert labels.label("SOMETHING_NEW", "state") == "其他（SOMETHING_NEW）"
    assert labels.label(None, "channel") == "-"
    assert labels.states_in("- → CREATED") == "- → 待支付"


def test_the_gateway_audit_line_reads_in_chinese_and_anything_else_is_left_as_it_is() -> None:
    assert (
        labels.audit_detail("result 0000, 28 ms, msg CLOUD1")
        == "结果码 0000，耗时 28 毫秒，报文 CLOUD1"
    )
    assert labels.audit_detail("<b>odd</b>") == "<b>odd</b>"  # escaped by the template
