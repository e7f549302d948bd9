/* WeixinJSBridge stand-in of the WeChat Pay simulator: development only. Inside WeChat the
   webview provides the real bridge and this script is not loaded. */
(function () {
  "use strict";
  if (window.WeixinJSBridge && !window.WeixinJSBridge.simulated) {
    return; // the real bridge is here: leave it alone
  }
  var ORDER_URL = {{ order_url|tojson }};
  var CONFIRM_URL = {{ confirm_url|tojson }};
  var PAY = "getBrandWCPayRequest";
  var RESULT = "get_brand_wcpay_request";

  function answer(callback, result) {
    if (typeof callback === "function") {
      setTimeout(function () { callback(result); }, 0);
    }
  }

  function failed(callback, desc) {
    answer(callback, { err_msg: RESULT + ":fail", err_desc: desc || "支付失败" });
  }

  function readJson(response) {
    return response.json().then(function (body) { return { ok: response.ok, body: body }; });
  }

  function element(tag, style, text) {
    var node = document.createElement(tag);
    node.setAttribute("style", style);
    if (text) { node.textContent = text; }
    return node;
  }

  function button(text, colors) {
    return element("button", "display:block;width:100%;padding:12px;margin-top:12px;border:0;" +
      "border-radius:6px;font-size:17px;cursor:pointer;" + colors, text);
  }

  /* The payment sheet: description, amount, 确认支付 and 取消 (textContent only). */
  function sheet(order, onConfirm, onCancel) {
    var shade = element("div", "position:fixed;left:0;top:0;right:0;bottom:0;z-index:2147483647;" +
      "background:rgba(0,0,0,.5);font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;");
    var card = element("div", "position:absolute;left:0;right:0;bottom:0;max-width:420px;margin:0 auto;" +
      "background:#fff;border-radius:12px 12px 0 0;padding:20px;text-align:center;");
    shade.setAttribute("id", "wxsim-pay-sheet");
    card.appendChild(element("div", "color:#666;font-size:14px;", "微信支付（模拟）"));
    card.appendChild(element("div", "color:#333;font-size:15px;margin-top:8px;", order.description));
    card.appendChild(element("div", "font-size:36px;font-weight:600;margin:16px 0;", "￥" + order.amount_yuan));
    var pay = button("确认支付", "background:#07c160;color:#fff;");
    var cancel = button("取消", "background:#f2f2f2;color:#333;");
    function close() { if (shade.parentNode) { shade.parentNode.removeChild(shade); } }
    pay.onclick = function () {
      pay.disabled = true; cancel.disabled = true; pay.textContent = "支付中…";
      onConfirm(close);
    };
    cancel.onclick = function () { close(); onCancel(); };
    card.appendChild(pay); card.appendChild(cancel);
    card.appendChild(element("div", "color:#999;font-size:12px;margin-top:12px;",
      "这是开发用的微信支付模拟器，不会产生真实扣款。"));
    shade.appendChild(card);
    document.body.appendChild(shade);
  }

  function requestPayment(params, callback) {
    var pkg = String((params && params["package"]) || "");
    fetch(ORDER_URL + "?package=" + encodeURIComponent(pkg)).then(readJson).then(function (got) {
      if (!got.ok) { failed(callback, got.body.message); return; }
      sheet(got.body, function (close) {
        fetch(CONFIRM_URL, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(params)
        }).then(readJson).then(function (paid) {
          close();
          answer(callback, paid.ok ? { err_msg: paid.body.err_msg }
                                   : { err_msg: RESULT + ":fail", err_desc: paid.body.message });
        }).catch(function () { close(); failed(callback, "网络异常，请稍后重试"); });
      }, function () {
        answer(callback, { err_msg: RESULT + ":cancel" });
      });
    }).catch(function () { failed(callback, "网络异常，请稍后重试"); });
  }

  window.WeixinJSBridge = {
    simulated: true,
    invoke: function (name, params, callback) {
      if (name === PAY) { requestPayment(params || {}, callback); return; }
      answer(callback, { err_msg: "system:function_not_exist" });
    },
    call: function () {},
    on: function () {},
    log: function (message) { if (window.console) { window.console.log("[WeixinJSBridge] " + message); } }
  };

  /* WeChat fires WeixinJSBridgeReady on document once the bridge is there. */
  function ready() {
    var event;
    try {
      event = new Event("WeixinJSBridgeReady");
    } catch (e) {
      event = document.createEvent("Event");
      event.initEvent("WeixinJSBridgeReady", false, false);
    }
    document.dispatchEvent(event);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    setTimeout(ready, 0);
  }
})();
