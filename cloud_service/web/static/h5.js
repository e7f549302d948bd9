// Shared by the patient pages: the API with the bearer token (refreshed once when it has
// expired), money in yuan, refusals in Chinese, and the one table of Chinese words for
// every state, kind and channel the API names by code.
"use strict";
const H5 = (() => {
  const TOKEN = "h5_token", REFRESH = "h5_refresh", ENTRY = "h5_entry",
    PHONE_OK = "h5_phone_verified", MRN = "h5_mrn";
  // One Chinese sentence per result code: shown when the API's own message is not Chinese
  // (the HIS answers in English; a patient must never read that).
  const REFUSALS = {
    "1001": "请求格式有误，请刷新页面后重试", "1002": "填写的信息有误，请检查",
    "1003": "登录已失效，请重新登录", "1008": "操作太频繁，请稍后再试",
    "1009": "填写的信息有误，请检查", "1010": "页面或记录不存在",
    "2001": "医院没有找到该患者", "2002": "该号源已约满，请选择其他时段或医生",
    "2003": "锁号已过期，请重新挂号", "2004": "待缴费账单已变化，请刷新后重新缴费",
    "2005": "预约的号只能在就诊当日支付", "2006": "金额不一致，请重新下单",
    "2007": "重复的订单", "2008": "记录不存在", "2009": "该就诊人已挂过这个时段的号",
    "2010": "身份证号码有误，请核对", "2011": "该就诊人未与您的账号绑定",
    "2012": "该就诊人未参加医保，请选择全自费", "2013": "医保暂未签到，请稍后再试或选择全自费",
    "2014": "订单当前状态不允许此操作", "2015": "医保中心拒绝结算",
    "2016": "已过退号截止时间，请到医院窗口办理",
    "2017": "验证码错误或已过期，请重新获取", "2018": "请先验证手机号，再绑定就诊人",
    "2019": "该就诊人未登记手机号，请到医院窗口办理绑定",
    "2020": "同一科室每天只能挂一个号，且未支付的号不能超过 3 个",
    "2021": "每个账号最多绑定 5 位就诊人",
    "3001": "医院系统暂时不可用，请稍后再试", "3002": "医保中心暂时不可用，请稍后再试",
    "3003": "处理结果确认中，请稍后查看，请勿重复支付", "3004": "服务暂时不可用，请稍后再试",
    "9999": "系统繁忙，请稍后再试",
  };
  // One wording per state, used on every page (the result page, 我的挂号, the pay page).
  const STATES = {
    CREATED: "待支付", PRESETTLED: "医保已预结算", AWAITING_PAYMENT: "等待支付",
    PAID: "已支付，正在结算", INSURANCE_SETTLED: "医保已结算，正在确认",
    CONFIRMED: "支付成功", CANCELLED: "已取消", CLOSED: "已关闭（超时未支付）",
    REVERSING: "医保冲正中", REFUNDING: "退款中", REFUNDED: "已退款",
    PARTIALLY_REFUNDED: "已部分退款",
  };
  // the HIS's registration status, for a registration the cloud holds no order of
  const HIS_STATES = { LOCKED: "已锁号", BOOKED: "已预约", CONFIRMED: "支付成功",
    RELEASED: "已取消", CANCELLED: "已取消" };
  const CHANNELS = { WECHAT: "微信支付", ALIPAY: "支付宝", NONE: "无需付款" };
  const PAY_MODES = { INSURANCE: "医保结算", SELF_PAY: "全自费" };
  const ORDER_KINDS = { REG: "挂号", CHARGE: "门诊缴费" };
  const BILL_KINDS = { PRESCRIPTION: "处方", EXAM: "检查", LAB: "检验", TREATMENT: "治疗",
    MATERIAL: "材料", REG: "挂号" };
  const LEVELS = { GENERAL: "普通门诊", ASSOCIATE: "副主任医师门诊", CHIEF: "主任医师门诊",
    EXPERT: "知名专家门诊" };
  const PATIENT_TYPES = { EMPLOYEE: "职工医保", RESIDENT: "居民医保", SELF_PAY: "自费" };
  const RELATIONS = { CHILD: "子女" };

  class Refusal extends Error {
    constructor(code, msg) { super(msg); this.code = code; }
  }

  // a word for a code from one of the tables above; an unknown code reads as 其他, never raw
  function word(table, code, fallback) { return table[code] || fallback || "其他"; }

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

  function keep(answer) {
    localStorage.setItem(TOKEN, answer.access_token);
    localStorage.setItem(REFRESH, answer.refresh_token || "");
    localStorage.setItem(ENTRY, answer.entry || "APP");
    localStorage.setItem(PHONE_OK, answer.phone_verified ? "yes" : "no");
  }

  function forget() { [TOKEN, REFRESH, ENTRY, PHONE_OK, MRN].forEach(k => localStorage.removeItem(k)); }

  async function send(method, path, body) {
    const headers = { "Accept": "application/json" };
    const token = localStorage.getItem(TOKEN);
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await fetch("/api/v1" + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new Refusal("3004", "网络不可用，请检查网络后重试");
    }
    let data = {};
    if (answer.status !== 204) { try { data = await answer.json(); } catch (err) { data = {}; } }
    if (!answer.ok) throw new Refusal(data.result_code || String(answer.status), data.result_msg || "");
    return data;
  }

  // A refresh token is single use and a second use ends the sign-in: every request that
  // meets an expired token waits for the same refresh.
  let refreshing = null;
  function refresh() {
    const token = localStorage.getItem(REFRESH);
    if (!token) return Promise.resolve(false);
    if (!refreshing) {
      refreshing = send("POST", "/auth/tokens", { grant: "refresh", refresh_token: token })
        .then(answer => { keep(answer); return true; }, () => false)
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function api(method, path, body) {
    try {
      return await send(method, path, body);
    } catch (err) {
      if (err.code !== "1003" || path.startsWith("/auth/tokens")) throw err;
      if (await refresh()) return send(method, path, body);
      forget();
      throw err;
    }
  }

  function signedIn() { return !!localStorage.getItem(TOKEN); }
  function entry() { return localStorage.getItem(ENTRY) || "APP"; }
  function phoneVerified() { return entry() === "APP" || localStorage.getItem(PHONE_OK) === "yes"; }

  function say(text, kind) {
    const box = document.getElementById("msg");
    box.className = kind || "info";
    box.textContent = text;
  }

  // The API's message when it is Chinese, else the table's sentence; the code beside it.
  function message(err) {
    const code = err.code || "9999";
    const own = err.message || "";
    const text = own && !/[A-Za-z]/.test(own) ? own : (REFUSALS[code] || "操作未成功，请稍后再试");
    return text + "（" + code + "）";
  }

  function refused(err) { say(message(err), "error"); }

  function requireSignIn() {
    if (!signedIn()) { location.href = "/h5/?next=" + encodeURIComponent(location.pathname + location.search); return false; }
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

  // 获取验证码 with a countdown from the API's resend_after (seconds)
  async function sendCode(button, phone, path, body) {
    if (!/^1\d{10}$/.test(phone)) throw new Refusal("1002", "请输入 11 位手机号");
    button.disabled = true;
    let answer;
    try { answer = await api("POST", path || "/auth/sms-codes", body || { phone }); }
    catch (err) { button.disabled = false; throw err; }
    countdown(button, Number(answer.resend_after) || 60);
    return answer;
  }

  function countdown(button, seconds) {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.disabled = true;
    let left = seconds;
    const tick = () => {
      if (left <= 0) { button.disabled = false; button.textContent = label; return; }
      button.textContent = `${left} 秒后重发`;
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  async function signOut() {
    try { if (signedIn()) await send("DELETE", "/auth/tokens"); } catch (err) { /* gone already */ }
    forget();
  }

  // A WeChat or Alipay user verifies a phone once (POST /auth/phone) before binding.
  let phoneWired = false;
  function phoneCard(onDone) {
    const card = document.getElementById("phone-card");
    if (!card) return false;
    card.hidden = phoneVerified();
    if (card.hidden || phoneWired) return !card.hidden;
    phoneWired = true;
    const phone = () => document.getElementById("verify-phone").value.trim();
    document.getElementById("verify-phone-send").addEventListener("click", async (event) => {
      try { await sendCode(event.target, phone()); say("验证码已发送，5 分钟内有效", "info"); }
      catch (err) { refused(err); }
    });
    document.getElementById("phone-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const done = await api("POST", "/auth/phone", {
          phone: phone(), code: document.getElementById("verify-phone-code").value.trim() });
        localStorage.setItem(PHONE_OK, "yes");
        card.hidden = true;
        say(`手机号 ${done.phone_masked} 已验证`, "info");
        if (onDone) onDone();
      } catch (err) { refused(err); }
    });
    return true;
  }

  // the unverified mark again, when the API says the phone is not verified (2018)
  function needPhone() { localStorage.setItem(PHONE_OK, "no"); }

  // Inside WeChat only WeChat Pay, inside Alipay only Alipay can pay (the API refuses others).
  function lockChannel() {
    const app = entry();
    if (app === "APP" || !document.getElementById("channel")) return;
    document.querySelectorAll("input[name=channel]").forEach(input => {
      input.checked = input.value === app;
      input.closest("label").hidden = input.value !== app;
    });
  }
  lockChannel();

  return { TOKEN, MRN, STATES, HIS_STATES, CHANNELS, PAY_MODES, ORDER_KINDS, BILL_KINDS,
           LEVELS, PATIENT_TYPES, RELATIONS, api, yuan, esc, say, refused, message, word,
           requireSignIn, requirePatient, today, param, Refusal, keep, forget, signedIn, entry,
           phoneVerified, sendCode, countdown, signOut, phoneCard, needPhone };
})();
