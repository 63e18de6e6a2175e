"""The dashboard in a real browser (Debian's chromium, driven by Playwright) against a real
`postmock serve`: mock a day of history, watch the live call log, edit an example, make the
mock private, delete it. With POSTMOCK_SCREENSHOTS=DIR it saves the main screens there (the
README's pictures come from `POSTMOCK_SCREENSHOTS=tests/admin/screenshots`)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.adminkit import HAR_DATE, Admin, run_admin, wait_for_mock

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1366, "height": 820}
PRODUCTS = "/v1/products?page=2&q=blue%20shoes"

if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (scripts/test installs it: apt-get install -y chromium); "
                "SKIPPING the browser tests", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with run_admin(tmp_path_factory.mktemp("dashboard")) as a:
        yield a


@pytest.fixture(scope="module")
def page(admin: Admin) -> Iterator[Any]:
    profile = tempfile.mkdtemp(prefix="postmock-chromium-")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                        args=ARGS, viewport=LAPTOP)
        context.set_default_timeout(20_000)
        p = context.new_page()
        p.goto(admin.login_link())
        expect(p.get_by_role("heading", name="Mock servers")).to_be_visible()
        yield p
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("POSTMOCK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _nav(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def _call(url: str, **kw: Any) -> httpx.Response:
    return httpx.get(url + PRODUCTS, trust_env=False, timeout=30, **kw)


def test_mock_a_day_of_history_watch_the_log_edit_lock_and_delete(admin: Admin, page: Any) -> None:
    # History, filtered to the day, then "Mock all requests for this date".
    _nav(page, "History").click()
    page.get_by_label("Date").fill(HAR_DATE)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name=re.compile(r"products\?page=2"))).to_be_visible()
    _shot(page, "history")
    page.get_by_role("link", name="Mock all requests for this date").click()
    expect(page.get_by_role("heading", name="Create mock server")).to_be_visible()
    expect(page.get_by_label("Date (this machine's local time)")).to_have_value(HAR_DATE)
    page.get_by_label("Mock server name").fill("shop day")
    page.get_by_label("Match request headers (names, comma-separated)").fill("")
    _shot(page, "create-mock")
    page.get_by_role("button", name="Create Mock Server").click()
    expect(page.get_by_role("heading", name="shop day")).to_be_visible()
    url = page.locator("#mock-url").inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
    mock_id = page.url.rsplit("/", 1)[1]

    # Call it; the call appears in the live log without a reload.
    wait_for_mock(url)
    expect(page.locator("#live")).to_have_class(re.compile("on"))
    first = _call(url)
    assert first.status_code == 200, first.text
    calls = page.locator("table.calls tbody tr")
    expect(calls).to_have_count(1)
    expect(calls.first).to_contain_text("/v1/products")
    expect(calls.first).to_contain_text("200")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
    miss = httpx.get(url + "/v1/nothing-here", trust_env=False, timeout=30)
    assert miss.status_code == 404
    expect(calls).to_have_count(2)
    _shot(page, "mock")

    # The miss's detail: headers, bodies and the nearest examples.
    calls.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="GET /v1/nothing-here")).to_be_visible()
    expect(page.get_by_role("heading", name="Nearest examples")).to_be_visible()
    _shot(page, "call")
    page.go_back()

    # Edit the example in the editor; the next call gets the edit.
    page.get_by_role("link", name=re.compile(r"^Requests of ")).first.click()
    example_link = page.get_by_role("link", name=re.compile(r"^200 OK"))
    example_link.first.click()
    expect(page.get_by_role("heading", name=re.compile("^Example: 200 OK"))).to_be_visible()
    page.get_by_label("Body").fill('{"edited": true}')
    page.get_by_label("Status code").fill("203")
    _shot(page, "example-editor")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    edited = _call(url)
    assert edited.status_code == 203 and edited.json() == {"edited": True}

    # Private: 401 without a key, 200 with one made in the dashboard.
    page.goto(f"{admin.url}/ui/mocks/{mock_id}")
    page.get_by_role("checkbox", name=re.compile("Make mock server private")).check()
    page.get_by_role("button", name="Save Changes").click()
    expect(page.locator(".mockurl .tag.private")).to_be_visible()
    assert _call(url).status_code == 401
    _nav(page, "API keys").click()
    page.get_by_label("Name").fill("browser")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key-value")
    expect(key).to_have_text(re.compile(r"^PMAK-"))
    _shot(page, "keys")
    assert _call(url, headers={"x-api-key": key.inner_text()}).status_code == 203

    # The list, then delete.
    _nav(page, "Mock servers").click()
    expect(page.get_by_role("row", name=re.compile("shop day"))).to_contain_text("Private")
    _shot(page, "mocks")
    page.get_by_role("link", name="shop day").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete mock server").click()
    expect(page.get_by_role("heading", name="Mock servers")).to_be_visible()
    expect(page.get_by_role("link", name="shop day")).to_have_count(0)
    with admin.client() as api:
        assert api.get(f"/mocks/{mock_id}").status_code == 404


def test_other_screens_render_and_are_keyboard_reachable(admin: Admin, page: Any) -> None:
    page.goto(admin.url + "/ui/environments")
    page.get_by_label("Name").fill("local")
    page.get_by_role("button", name="Create environment").click()
    expect(page.get_by_role("heading", name="local")).to_be_visible()
    page.get_by_label("New variable name").fill("baseUrl")
    page.get_by_label("New value").fill("http://127.0.0.1:9")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Variable name", exact=True).first).to_have_value("baseUrl")
    page.goto(admin.url + "/ui/environments")
    _shot(page, "environments")
    page.goto(admin.url + "/ui/collections")
    _shot(page, "collections")
    page.goto(admin.url + "/docs")
    expect(page.get_by_role("heading", name=re.compile("postmock admin API"))).to_be_visible()
    _shot(page, "api-reference")
    # Keyboard: the skip link is the first stop, then the main navigation.
    page.goto(admin.url + "/ui/mocks")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Mock servers"
