// Runs the simulator's /jsbridge.js in Node with a minimal DOM, as a merchant page would:
// waits for WeixinJSBridgeReady, invokes getBrandWCPayRequest with the params in argv[3],
// presses the button named in argv[4] (确认支付 or 取消) and prints the callback's result.
"use strict";
const [scriptUrl, paramsJson, press] = process.argv.slice(2);

function node(tag) {
  return {
    tag, children: [], attributes: {}, textContent: "", onclick: null, disabled: false,
    parentNode: null,
    setAttribute(name, value) { this.attributes[name] = value; },
    appendChild(child) { child.parentNode = this; this.children.push(child); return child; },
    removeChild(child) { this.children = this.children.filter((c) => c !== child); child.parentNode = null; },
  };
}
const listeners = {};
global.window = global;
global.Event = class { constructor(type) { this.type = type; } };
global.document = {
  readyState: "complete",
  body: node("body"),
  createElement: node,
  addEventListener(type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
  dispatchEvent(event) { (listeners[event.type] || []).forEach((fn) => fn(event)); },
};

function buttons(root) {
  return root.children.flatMap((c) => (c.tag === "button" ? [c] : buttons(c)));
}

function pressWhenShown(label) {
  const found = buttons(document.body).find((b) => b.textContent === label);
  if (!found) { setTimeout(() => pressWhenShown(label), 20); return; }
  const shown = JSON.stringify(document.body.children.map(function text(c) {
    return [c.textContent, ...c.children.map(text)];
  }));
  process.stdout.write(JSON.stringify({ shown }) + "\n");
  found.onclick();
}

document.addEventListener("WeixinJSBridgeReady", () => {
  window.WeixinJSBridge.invoke("getBrandWCPayRequest", JSON.parse(paramsJson), (res) => {
    process.stdout.write(JSON.stringify({ result: res, sheets: document.body.children.length }) + "\n");
  });
  pressWhenShown(press);
});

fetch(scriptUrl).then((r) => r.text()).then((code) => { eval(code); });
