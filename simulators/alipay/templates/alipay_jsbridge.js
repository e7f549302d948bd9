/* 支付宝模拟器：代替支付宝客户端提供 AlipayJSBridge（仅开发环境使用）。
   AlipayJSBridge.call("tradePay", {tradeNO: "..."}, function (result) { result.resultCode })
   resultCode：9000 支付成功，6001 用户取消，4000 支付失败，6002 网络连接出错。 */
(function () {
  "use strict";
  if (window.AlipayJSBridge) { return; }
  var PAY_URL = {{ pay_url|tojson }};
  var TRADE_URL = {{ trade_url|tojson }};

  function el(tag, style, text) {
    var node = document.createElement(tag);
    node.setAttribute("style", style);
    if (text) { node.textContent = text; }
    return node;
  }

  function button(text, primary, onclick) {
    var node = el("button", "display:block;width:100%;padding:12px;margin-top:12px;border:0;" +
      "border-radius:6px;font-size:17px;" +
      (primary ? "background:#1677ff;color:#fff;" : "background:#f2f2f2;color:#333;"), text);
    node.type = "button";
    node.onclick = onclick;
    return node;
  }

  function cashier(info, onConfirm, onCancel) {
    var shade = el("div", "position:fixed;left:0;top:0;right:0;bottom:0;z-index:2147483647;" +
      "background:rgba(0,0,0,.5);display:flex;align-items:flex-end;justify-content:center;");
    shade.setAttribute("data-alipay-sim", "cashier");
    var card = el("div", "background:#fff;width:100%;max-width:420px;border-radius:12px 12px 0 0;" +
      "padding:20px;box-sizing:border-box;font-family:-apple-system,'PingFang SC',sans-serif;" +
      "text-align:center;");
    card.appendChild(el("div", "color:#666;font-size:14px;", "支付宝（模拟收银台）"));
    card.appendChild(el("div", "color:#333;margin-top:8px;", info.subject));
    card.appendChild(el("div", "font-size:34px;font-weight:600;margin:12px 0;", "￥" + info.total_amount));
    var state = el("div", "color:#d4380d;font-size:14px;min-height:18px;", "");
    card.appendChild(state);
    var close = function () { if (shade.parentNode) { shade.parentNode.removeChild(shade); } };
    card.appendChild(button("确认付款", true, function () { onConfirm(close, state); }));
    card.appendChild(button("取消", false, function () { close(); onCancel(); }));
    shade.appendChild(card);
    document.body.appendChild(shade);
  }

  function tradePay(params, callback) {
    var tradeNO = params && params.tradeNO;
    if (!tradeNO) { callback({resultCode: "4000", memo: "缺少交易号tradeNO"}); return; }
    fetch(TRADE_URL.replace("__TRADE_NO__", encodeURIComponent(tradeNO)))
      .then(function (answer) { return answer.json(); })
      .then(function (info) {
        if (!info.tradeNO) { callback({resultCode: "4000", memo: info.memo || "交易不存在"}); return; }
        cashier(info, function (close, state) {
          fetch(PAY_URL, {method: "POST", headers: {"Content-Type": "application/json"},
                          body: JSON.stringify({tradeNO: tradeNO})})
            .then(function (answer) { return answer.json(); })
            .then(function (data) {
              close();
              callback({resultCode: data.resultCode, memo: data.memo || "",
                        result: JSON.stringify(data), callbackUrl: ""});
            })
            .catch(function () { state.textContent = "网络连接出错"; close();
                                 callback({resultCode: "6002", memo: "网络连接出错"}); });
        }, function () { callback({resultCode: "6001", memo: "用户取消支付"}); });
      })
      .catch(function () { callback({resultCode: "6002", memo: "网络连接出错"}); });
  }

  window.AlipayJSBridge = {
    call: function (name, params, callback) {
      var done = typeof callback === "function" ? callback : function () {};
      if (name === "tradePay") { tradePay(params, done); return; }
      setTimeout(function () { done({error: 1, errorMessage: "模拟器不支持该接口：" + name}); }, 0);
    }
  };
  // As in the Alipay client: the event comes once the page has loaded, for pages that
  // wait for it; a page that finds window.AlipayJSBridge already set calls it directly.
  function announce() {
    var ready = document.createEvent("Events");
    ready.initEvent("AlipayJSBridgeReady", false, false);
    document.dispatchEvent(ready);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", announce, false);
  } else {
    announce();
  }
})();
