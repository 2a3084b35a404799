"""The duty-officer console in a real browser (Debian's chromium via playwright) against a
real ``hotline serve`` on SQLite: two parties log in side by side, see the zones and notices,
receive an alert live (with the sound), acknowledge it and see the acknowledgment reach the
other party's console, exchange a message and see its acknowledgment arrive on the sender's
console; a screenshot is saved."""

from __future__ import annotations

import time
from typing import Any

import pytest

from browser.scene import file_scene, notice, put
from browser.served import Server, screenshot

pytestmark = pytest.mark.browser

VIEW = {"width": 1280, "height": 800}


def open_console(browser: Any, server: Server, party: str, contexts: list[Any]) -> Any:
    # bypass_csp: playwright polls predicates with eval, which the page's CSP forbids
    context = browser.new_context(viewport=VIEW, bypass_csp=True)
    contexts.append(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(server.base + "/")
    page.fill("#token", server.token(party))
    page.click("#login-button")
    page.wait_for_selector("#console:not([hidden])")
    page.wait_for_selector("#conn[data-state='live']")
    assert server.token(party) not in page.url
    return page


def alert_rows(page: Any) -> int:
    n: int = page.eval_on_selector_all("#alerts li:not([hidden])", "els => els.length")
    return n


def test_two_parties_alert_ack_and_message(browser: Any, server: Server,
                                           contexts: list[Any]) -> None:
    blue_api, red_api = server.client("blue"), server.client("red")
    file_scene(blue_api, red_api)
    blue = open_console(browser, server, "blue", contexts)
    red = open_console(browser, server, "red", contexts)

    # the map shows the zones and notices each may see; each has its conflict alert
    for page in (blue, red):
        page.wait_for_function("window.hotline.decls.counts().zones === 3")
        page.wait_for_function("window.hotline.decls.counts().notices === 2")
        page.wait_for_selector("#alerts li[data-severity]")
    assert blue.evaluate("window.hotline.decls.counts().conflicts") == 2
    assert alert_rows(blue) == 1 and alert_rows(red) == 1
    beeps = blue.evaluate("window.hotline.alerts.beeps")

    # red files a second conflicting notice: blue's console gets the alert live, with a beep
    put(red_api, "/v1/notices/red-strike", notice(35.0, 37.03, minutes_ahead=60))
    blue.wait_for_function("document.querySelectorAll('#alerts li').length === 2", timeout=10000)
    assert blue.evaluate("window.hotline.alerts.beeps") == beeps + 1
    newest = blue.locator("#alerts li").first
    assert "red-strike" in newest.inner_text()
    assert "ack in" in newest.locator(".countdown").inner_text()

    # blue acknowledges it: the receipt comes back and the row shows who acked
    newest.locator("button.ack").click()
    blue.wait_for_function(
        "document.querySelector('#alerts li').dataset.acked === 'true'", timeout=10000)
    assert "by blue-duty" in newest.inner_text()
    alert_id = newest.get_attribute("data-id")
    acked = {a["id"]: a["ack"] for a in blue_api.get("/v1/alerts").json()["items"]}
    assert acked[alert_id] is not None and acked[alert_id]["by"] == "blue-duty"
    # ... and the acknowledgment reaches red's console live, on blue's alert
    theirs = red.locator(f"#alerts li[data-id='{alert_id}'][data-acked='true']")
    theirs.wait_for(timeout=10000)
    assert "by blue-duty" in theirs.inner_text() and "to blue" in theirs.inner_text()

    # blue sends red a free-text message; red sees it arrive and acknowledges it
    blue.fill("#to", "red")
    blue.fill("#text", "Blue CAP holding west of 37E until 1400Z")
    blue.click("#send")
    blue.wait_for_selector("#messages li.out")
    red.wait_for_selector("#messages li.in", timeout=10000)
    assert "holding west of 37E" in red.locator("#messages li.in").inner_text()
    red.locator("#messages li.in button.ack").click()
    red.wait_for_selector("#messages li.in[data-acked='true']")
    # ... and the acknowledgment reaches the sender's console
    blue.wait_for_selector("#messages li.out[data-acked='true']", timeout=10000)
    assert "by red-duty" in blue.locator("#messages li.out").inner_text()

    # a template message: the form is built from GET /v1/templates; red replies after its
    # stream dropped (as a network failure would): it resumes with Last-Event-ID, no repeats
    blue.select_option("#template", "confirm_clear")
    blue.fill("#fields input[data-field='callsign']", "VIPER11")
    blue.click("#send")
    red.wait_for_selector("#messages li.in:nth-child(2)", timeout=10000)
    assert "VIPER11" in red.locator("#messages li.in").nth(1).inner_text()
    assert "Confirm clear" in red.locator("#messages li.in").nth(1).inner_text()
    red.evaluate("() => window.hotline.stream.drop()")
    blue.select_option("#template", "")
    blue.fill("#text", "Acknowledge when clear of the box")
    blue.click("#send")
    red.wait_for_selector("#messages li.in:nth-child(3)", timeout=10000)
    red.wait_for_selector("#conn[data-state='live']")
    red.wait_for_timeout(500)
    assert red.locator("#messages li.in").count() == 3  # each exactly once
    red.locator("#messages li.in").first.locator("button.reply").click()
    red.fill("#text", "Copy, clear in two minutes")
    red.click("#send")
    blue.wait_for_selector("#messages li.in", timeout=10000)
    assert "Copy, clear" in blue.locator("#messages li.in").inner_text()
    (reply,) = blue_api.get("/v1/messages?box=in").json()["items"]
    first_sent = blue_api.get("/v1/messages?box=out").json()["items"][0]
    assert reply["in_reply_to"] == first_sent["id"]
    assert f"reply to {first_sent['id']}" in blue.locator("#messages li.in").inner_text()

    # delivery was confirmed by the console: the events carry signed delivery receipts
    def undelivered() -> list[int]:
        items = red_api.get("/v1/events").json()["items"]
        assert items
        return [e["seq"] for e in items if e["delivery"] is None]

    deadline = time.monotonic() + 10
    while undelivered() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert undelivered() == []

    screenshot(blue, "console-blue.png")
    assert blue.errors == [] and red.errors == []


def test_console_runs_under_its_content_security_policy(browser: Any, server: Server,
                                                        contexts: list[Any]) -> None:
    """The page works with its CSP enforced (the other tests bypass it for playwright's eval):
    no violation reported, the stream connects, the base map and the alerts render."""
    file_scene(server.client("blue"), server.client("red"))
    contexts.append(browser.new_context(viewport=VIEW))
    page = contexts[-1].new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("pageerror", lambda e: console.append(str(e)))
    page.goto(server.base + "/")
    page.fill("#token", server.token("red"))
    page.click("#login-button")
    page.wait_for_selector("#conn[data-state='live']")
    page.wait_for_selector("#alerts li[data-severity='warning']")
    page.wait_for_selector(".leaflet-overlay-pane canvas")
    assert not [m for m in console if "Content Security Policy" in m or "Error" in m], console
