// Shared by the patient pages: the API with the bearer token, money in yuan, refusals.
"use strict";
const H5 = (() => {
  const TOKEN = "h5_token", MRN = "h5_mrn";
  const REFUSALS = {
    "1003": "请先登录", "1009": "填写的信息有误，请检查",
    "2001": "医院没有找到该患者", "2002": "该号源已约满，请选择其他时段或医生",
    "2003": "锁号已过期，请重新挂号", "2004": "待缴费账单已变化，请刷新后重新缴费",
    "2005": "预约的号只能在就诊当日支付", "2006": "金额不一致，请重新下单",
    "2007": "重复的订单", "2008": "记录不存在", "2009": "您已持有该排班的号",
    "2010": "身份证号码有误，请核对", "2011": "该就诊人未与您的账号绑定",
    "2012": "该就诊人未参加医保，请选择自费", "2013": "医保暂未签到，请稍后再试或选择自费",
    "2014": "订单当前状态不允许此操作", "2015": "医保中心拒绝结算",
    "2016": "已过退号截止时间，请到医院窗口办理",
    "3001": "医院系统暂时不可用，请稍后再试", "3002": "医保中心暂时不可用，请稍后再试",
    "3003": "处理结果确认中，请稍后查看，请勿重复支付", "3004": "服务暂时不可用，请稍后再试",
  };
  const STATES = {
    CREATED: "待支付", PRESETTLED: "医保预结算完成", AWAITING_PAYMENT: "待付款",
    PAID: "已付款，医保结算中", INSURANCE_SETTLED: "医保已结算，确认中",
    CONFIRMED: "支付成功", CANCELLED: "已取消", CLOSED: "已关闭（超时未支付）",
    REVERSING: "医保冲正中", REFUNDING: "退款中", REFUNDED: "已退款",
    PARTIALLY_REFUNDED: "已部分退款",
  };
  const CHANNELS = { WECHAT: "微信支付", ALIPAY: "支付宝", NONE: "无需付款" };

  class Refusal extends Error {
    constructor(code, msg) { super(msg); this.code = code; }
  }

  function esc(text) {
    return String(text ?? "").replace(/[&<>"']/g, c => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  // fen (an integer) as yuan with two decimals, without floating-point arithmetic
  function yuan(fen) {
    const n = Number(fen);
    if (!Number.isInteger(n)) return "-";
    const abs = Math.abs(n), cents = String(abs % 100).padStart(2, "0");
    return (n < 0 ? "-" : "") + "¥" + Math.floor(abs / 100) + "." + cents;
  }

  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    const token = localStorage.getItem(TOKEN);
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await fetch("/api/v1" + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new Refusal("3004", "网络不可用");
    }
    let data = {};
    try { data = await answer.json(); } catch (err) { data = {}; }
    if (!answer.ok) {
      if (data.result_code === "1003") { localStorage.removeItem(TOKEN); }
      throw new Refusal(data.result_code || String(answer.status), data.result_msg || "");
    }
    return data;
  }

  function say(text, kind) {
    const box = document.getElementById("msg");
    box.className = kind || "info";
    box.textContent = text;
  }

  function refused(err) {
    const code = err.code || "9999";
    const known = REFUSALS[code] || "操作未成功";
    say(known + "（" + code + (err.message ? " " + err.message : "") + "）", "error");
  }

  function requireSignIn() {
    if (!localStorage.getItem(TOKEN)) { location.href = "/h5/?next=" + encodeURIComponent(location.pathname + location.search); return false; }
    return true;
  }

  function requirePatient() {
    if (!requireSignIn()) return null;
    const mrn = localStorage.getItem(MRN);
    if (!mrn) { location.href = "/h5/bind"; return null; }
    return mrn;
  }

  function today(offsetDays) {
    // the hospital's calendar day (Asia/Shanghai), whatever the phone's time zone
    const at = new Date(Date.now() + 8 * 3600 * 1000 + (offsetDays || 0) * 86400 * 1000);
    return at.toISOString().slice(0, 10);
  }

  function param(name) { return new URLSearchParams(location.search).get(name) || ""; }

  return { TOKEN, MRN, STATES, CHANNELS, api, yuan, esc, say, refused, requireSignIn,
           requirePatient, today, param, Refusal };
})();
