"""The browser tests: Debian's Chromium driven by Playwright against the real stack.

The stack is the e2e one (re-exported); the pages are served by one more real gunicorn of
the cloud app (tests.browser.webapp) on the cloud's database and settings."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from devstack.ports import free_port, wait_for_http
from devstack.stack import ROOT, Stack, service_env
from tests.browser.driver import ARTIFACTS, CHROMIUM, PHONE, STAFF, require_browser
from tests.e2e.conftest import stack  # noqa: F401  (the session's stack fixture)


@pytest.fixture(scope="session")
def web_url(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """The base URL of a gunicorn serving the cloud with its pages."""
    require_browser()
    env = service_env(stack.env, "cloud_service", stack.var_dir)
    env["CONSOLE_USERS"] = ",".join(
        f"{name}:{role}:{generate_password_hash(password)}"
        for name, (role, password) in STAFF.items()
    )
    port = free_port()
    # the H5 / wap cashiers send the payer back to these pages, and localStorage is per origin
    env["CLOUD_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    log = open(stack.log_path("cloud_web"), "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--no-control-socket",
            "tests.browser.webapp:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Chromium with a fresh user-data dir, a phone-sized window, Chinese locale."""
    sync_api = require_browser()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            viewport=PHONE,
            locale="zh-CN",
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def page(browser_context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new tab; its last view is saved under artifacts/browser/ whatever the outcome."""
    tab = browser_context.new_page()
    try:
        yield tab
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
        tab.close()
