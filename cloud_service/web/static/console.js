// The reconciliation page: reads the console's /console/reconciliation/<date>.json, draws a
// week of daily totals and differences as an inline SVG chart, lists the differences, and
// lets an operator run the day again or apply the safe repairs (the server audits both).
"use strict";
(() => {
  const root = document.getElementById("recon");
  const day = root.dataset.date, csrf = root.dataset.csrf, operator = root.dataset.operator === "yes";
  const API = `/console/reconciliation/${encodeURIComponent(day)}`;
  const LABELS = { PAID_AT_CHANNEL_ONLY: "仅渠道有（已付款未入账）", SETTLED_AT_INSURANCE_ONLY: "仅医保有",
    IN_HIS_ONLY: "仅 HIS 有", AMOUNT_MISMATCH: "金额不符", REFUNDED_OFFLINE: "窗口已退费" };
  const RULES = { reverse_orphan_settlement: "冲正孤立医保结算", refund_orphan_payment: "原路退款孤立付款",
    complete_stuck_confirm: "补完卡住的确认" };
  const AMOUNTS = { channel_fen: "渠道", cloud_fen: "云端", refund_fen: "退款", insurance_fen: "医保", his_fen: "HIS" };
  const STATUS = { OPEN: "待处理", REPAIRED: "已修复", FOR_PERSON: "需人工处理", FAILED: "修复失败", INFO: "提示" };
  const esc = t => String(t ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const yuan = fen => Number.isInteger(fen) ? (fen < 0 ? "-" : "") + Math.floor(Math.abs(fen) / 100) + "." + String(Math.abs(fen) % 100).padStart(2, "0") : "-";

  function chart(points) {
    if (!points.length) return '<p class="muted">没有汇总数据</p>';
    const width = Math.max(320, points.length * 90), height = 200, base = 170;
    const top = Math.max(1, ...points.map(p => Math.max(p.total, Math.abs(p.diff))));
    const bars = points.map((p, i) => {
      const x = 20 + i * 90, h = Math.round(p.total / top * 140), d = Math.round(Math.abs(p.diff) / top * 140);
      return `<g><rect class="total" x="${x}" y="${base - h}" width="30" height="${h}"><title>${esc(p.label)} 合计 ${yuan(p.total)} 元</title></rect>
        <rect class="diff" x="${x + 34}" y="${base - d}" width="30" height="${d}"><title>${esc(p.label)} 差额 ${yuan(p.diff)} 元</title></rect>
        <text x="${x}" y="${base + 16}">${esc(String(p.label).slice(5) || p.label)}</text></g>`;
    }).join("");
    return `<svg id="recon-chart" role="img" aria-label="每日合计与差额" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
      <line x1="10" y1="${base}" x2="${width}" y2="${base}" stroke="#999"/>${bars}</svg>
      <p class="legend"><span class="swatch total"></span>合计 <span class="swatch diff"></span>差额</p>`;
  }

  function differences(report) {
    const rows = report.differences || [];
    if (!rows.length) return '<p id="no-items">没有单边账或差异</p>';
    return `<table id="recon-items"><tr><th>类型</th><th>订单号</th><th>说明</th><th>金额（元）</th><th>修复规则</th><th>状态</th><th></th></tr>` +
      rows.map(d => `<tr><td>${esc(LABELS[d.kind] || d.kind)}</td><td>${esc(d.order_no)}</td><td>${esc(d.detail)}</td>
        <td class="num">${Object.entries(d.amounts || {}).map(([k, v]) => esc(AMOUNTS[k] || "金额") + " " + yuan(v)).join("<br>")}</td>
        <td>${esc(d.repair ? RULES[d.repair] || "按规则修复" : "人工")}</td><td class="status">${esc(STATUS[d.status] || d.status)}</td>
        <td>${operator && d.repair && d.status !== "REPAIRED" ? `<button class="repair-one" data-order="${esc(d.order_no)}" data-kind="${esc(d.kind)}">修复此项</button>` : ""}</td></tr>`).join("") + "</table>";
  }

  async function repairOne(orderNo, kind) {
    if (!confirm(`按规则修复订单 ${orderNo}（${LABELS[kind] || kind}）？此操作将被审计。`)) return;
    const answer = await fetch(`${API}/repair`, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ order_no: orderNo, kind }) });
    let data = {};
    try { data = await answer.json(); } catch (err) { data = {}; }
    if (!answer.ok) { say(`未修复：${refusal(data, answer.status)}`, false); return; }
    await load();
    say(`订单 ${orderNo}：${STATUS[data.status] || data.status}`, data.status === "REPAIRED");
  }

  // the server's message when it is Chinese; the result code beside it, never alone
  function refusal(data, status) {
    const msg = data.result_msg && !/[A-Za-z]{2,}/.test(data.result_msg) ? data.result_msg : "操作未成功";
    return `${msg}（${data.result_code || "HTTP " + status}）`;
  }

  function say(text, ok) {
    const box = document.getElementById("recon-result");
    box.className = "msg " + (ok ? "info" : "error");
    box.textContent = text;
  }

  async function run(repair) {
    if (repair && !confirm("按规则执行安全修复（冲正孤立医保结算、原路退款孤立付款、补完卡住的确认）？此操作将被审计。")) return;
    const answer = await fetch(`${API}/run`, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ repair }) });
    let data = {};
    try { data = await answer.json(); } catch (err) { data = {}; }
    if (!answer.ok) { say(`未执行：${refusal(data, answer.status)}`, false); return; }
    await load();
    say(repair ? `已执行安全修复：修复 ${(data.summary || {}).repaired || 0} 项` : "已重新对账", true);
  }

  function render(view) {
    const report = view.report;
    const summary = report ? report.summary || {} : {};
    const buttons = operator ? `<button id="recon-run">重新对账</button> <button id="recon-repair">执行安全修复</button>` : "";
    root.innerHTML = `<div class="card"><h2>${esc(view.date)} 对账：<span id="recon-status">${report ? `差异 ${summary.differences || 0} 项，已修复 ${summary.repaired || 0}，需人工 ${summary.for_person || 0}` : "尚未对账"}</span></h2>
      ${chart(view.daily.map(p => ({ label: p.date, total: p.total_fen, diff: p.difference_fen })))} ${buttons}</div>
      <div id="recon-result" class="msg"></div>
      <div class="card"><h2>单边账与差异</h2>${report ? differences(report) : '<p class="muted">该日尚未对账</p>'}</div>`;
    if (operator) {
      document.getElementById("recon-run").addEventListener("click", () => run(false));
      document.getElementById("recon-repair").addEventListener("click", () => run(true));
      root.querySelectorAll(".repair-one").forEach(button => button.addEventListener(
        "click", () => repairOne(button.dataset.order, button.dataset.kind)));
    }
  }

  async function load() {
    let answer;
    try { answer = await fetch(`${API}.json`, { credentials: "same-origin", headers: { Accept: "application/json" } }); }
    catch (err) { answer = null; }
    let view = null;
    if (answer && answer.ok) { try { view = await answer.json(); } catch (err) { view = null; } }
    if (!view || !Array.isArray(view.daily)) {
      root.innerHTML = `<div class="msg warn" id="recon-unavailable">对账功能暂不可用${answer ? "（HTTP " + answer.status + "）" : ""}</div>`;
      return;
    }
    render(view);
  }
  load();
})();
