"""The Chinese words the operations console shows for the codes the ledger keeps (states,
order kinds, channels, settlement, roles, zones): one mapping, so staff never read a bare
code and every page says the same thing for the same state."""

from __future__ import annotations

import re

LABELS: dict[str, dict[str, str]] = {
    "state": {
        "CREATED": "待支付",
        "PRESETTLED": "医保已预结算",
        "AWAITING_PAYMENT": "等待支付",
        "PAID": "已支付，正在结算",
        "INSURANCE_SETTLED": "医保已结算，正在确认",
        "CONFIRMED": "支付成功",
        "CANCELLED": "已取消",
        "CLOSED": "已关闭（超时未支付）",
        "REVERSING": "医保冲正中",
        "REFUNDING": "退款中",
        "REFUNDED": "已退款",
        "PARTIALLY_REFUNDED": "已部分退款",
    },
    "kind": {"REG": "挂号", "CHARGE": "门诊缴费"},
    "channel": {"WECHAT": "微信支付", "ALIPAY": "支付宝", "NONE": "无需付款"},
    "entry": {"APP": "浏览器或医院 App", "WECHAT": "微信", "ALIPAY": "支付宝"},
    "pay_mode": {"INSURANCE": "医保结算", "SELF_PAY": "全自费"},
    "role": {"VIEWER": "查看员", "OPERATOR": "操作员", "ADMIN": "管理员"},
    "zone": {
        "cloud": "云端",
        "gateway → intranet (HIS)": "网关 → 院内（HIS）",
        "gateway ← intranet (HIS)": "网关 ← 院内（HIS）",
        "gateway → insurance line": "网关 → 医保专线",
        "gateway ← insurance line": "网关 ← 医保专线",
        "gateway → Internet": "网关 → 互联网",
        "gateway ← Internet": "网关 ← 互联网",
    },
}
_CODE = re.compile(r"[A-Z][A-Z_]+")
_AUDIT = re.compile(r"result (\S+), (\S+) ms, msg (\S+)")


def label(code: object, kind: str) -> str:
    """The Chinese word for a code of a kind; an unknown code is named as such, in Chinese."""
    text = "" if code is None else str(code)
    if not text:
        return "-"
    return LABELS.get(kind, {}).get(text, f"其他（{text}）")


def states_in(text: object) -> str:
    """A line such as "PAID → CONFIRMED" with each state code in Chinese."""
    words = LABELS["state"]
    return _CODE.sub(lambda m: words.get(m.group(0), m.group(0)), str(text or ""))


def audit_detail(text: object) -> str:
    """The gateway audit's "result 0000, 28 ms, msg X" in Chinese; anything else as it is."""
    found = _AUDIT.fullmatch(str(text or ""))
    if not found:
        return str(text or "")
    return f"结果码 {found.group(1)}，耗时 {found.group(2)} 毫秒，报文 {found.group(3)}"
