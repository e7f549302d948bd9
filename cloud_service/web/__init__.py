"""The cloud's web pages: the patient's H5 pages under /h5/ and the operations console
under /console/. The H5 pages are static templates whose JavaScript calls /api/v1 with the
bearer token kept in the browser; the console renders on the server for signed-in staff."""

from __future__ import annotations

import requests
from flask import Blueprint, Flask, current_app, render_template

from cloud_service.console import parse_users, setting
from cloud_service.console.timeline import GatewayAudit, gateway_base
from cloud_service.settings import ConsoleSettings
from cloud_service.web import console_auth, console_views, h5_entry

h5 = Blueprint(
    "h5",
    __name__,
    url_prefix="/h5",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# page name -> (template, title); every page is the same shell with its own script
PAGES = {
    "index": "首页",
    "bind": "绑定就诊人",
    "book": "预约挂号",
    "pay": "支付",
    "result": "支付结果",
    "registrations": "我的挂号",
    "bills": "门诊缴费",
    "reports": "检查检验报告",
}


@h5.get("/")
def index() -> str:
    """Sign in (SMS code, WeChat or Alipay); the menu once signed in."""
    return render_template("h5/index.html", title=PAGES["index"], page="index")


@h5.get("/<page>")
def page(page: str) -> tuple[str, int] | str:
    """One of the patient's pages (each a template driven by its script)."""
    if page not in PAGES or page == "index":
        return render_template("h5/missing.html", title="页面不存在", page="missing"), 404
    return render_template(f"h5/{page}.html", title=PAGES[page], page=page, **_bridges())


def _bridges() -> dict[str, str]:
    """The JS-bridge stand-ins to load inside WeChat / Alipay entries (empty in production,
    where the apps' webviews provide the bridges)."""
    settings = current_app.extensions.get("cloud_settings")
    wechat = getattr(getattr(settings, "wechat", None), "jsbridge_script_url", "")
    alipay = getattr(getattr(settings, "alipay", None), "jsbridge_script_url", "")
    return {"wechat_bridge": wechat or "", "alipay_bridge": alipay or ""}


def register(app: Flask) -> None:
    """Add the H5 pages and the console to the cloud app (once)."""
    if "h5" in app.blueprints:
        return
    settings = app.extensions.get("cloud_settings")
    console = getattr(settings, "console", None) or ConsoleSettings()
    # the console keeps its own cookie; Flask's session cookie, should anything use it,
    # gets the same flags
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config["SESSION_COOKIE_SECURE"] = console.cookie_secure
    console_auth.install(
        app,
        parse_users(setting(app, "CONSOLE_USERS")),
        console,
        getattr(settings, "redis_url", "") or setting(app, "REDIS_URL"),
    )
    app.extensions["console_audit"] = GatewayAudit(
        base_url=gateway_base(getattr(settings, "gateway_url", "") or setting(app, "GATEWAY_URL")),
        token=setting(app, "GATEWAY_AUDIT_TOKEN"),
        session=requests.Session(),
    )
    app.register_blueprint(h5)
    app.register_blueprint(h5_entry.bp)
    app.register_blueprint(console_views.bp)
