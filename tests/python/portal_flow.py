"""The subscriber portal in a real browser: Debian's chromium, driven by Playwright.

Run by tests/tests/e2e/portal/browser.rs, which starts the pipeline and passes, in the environment:
PORTAL_LINK and VIEW_LINK (single-use magic links: every capability, and view only), RECEIVER_URL (a
local receiver to register), HOSTILE_ENDPOINT (an endpoint whose server answers with markup, and whose
log holds an event with markup in its payload), SCREENSHOTS (a directory), CHROMIUM (the executable).
Exits non-zero, with the step that failed, if anything is wrong.
"""

import json
import os
import re
import sys
import time

from playwright.sync_api import expect, sync_playwright

LINK = os.environ["PORTAL_LINK"]
VIEW_LINK = os.environ["VIEW_LINK"]
RECEIVER_URL = os.environ["RECEIVER_URL"]
HOSTILE = os.environ["HOSTILE_ENDPOINT"]
SHOTS = os.environ["SCREENSHOTS"]
BASE = LINK.split("login?")[0]
os.makedirs(SHOTS, exist_ok=True)
timings = {}


def shot(page, name):
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def step(name):
    print(f"step: {name}", flush=True)


def wait_for_delivery(page, selector, seconds=30, count=1):
    """Reloads the message page until it shows `selector` `count` times (the pipeline runs beside us)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if page.locator(selector).count() >= count:
            return
        time.sleep(0.5)
        page.reload()
    raise AssertionError(f"{selector} never appeared on {page.url}")


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    executed = []
    page.on("dialog", lambda d: (executed.append(d.message), d.dismiss()))
    referers = []
    page.on("request", lambda r: referers.append(r.headers.get("referer")))

    step("1. open the portal link: the token leaves the address bar at once")
    response = page.goto(LINK)
    assert "token=" not in page.url, page.url
    assert page.url == BASE, page.url
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp, csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    cookie = next(c for c in context.cookies() if c["name"] == "hookline_portal")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
    assert not cookie["secure"], "plain http here; Secure is set over https"
    expect(page.get_by_role("heading", name="Endpoints")).to_be_visible()
    shot(page, "endpoints")

    step("keyboard: the first Tab reaches the skip link")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    step("2. create an endpoint for the local receiver, after a mistake shown at its field")
    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_label("URL", exact=True).fill("ftp://nope")
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.locator("#url[aria-invalid=true]")).to_be_visible()
    expect(page.locator(".field-error")).to_contain_text("URL")
    page.get_by_label("URL", exact=True).fill(RECEIVER_URL)
    page.get_by_label("Description").fill("My receiver")
    page.get_by_label("invoice.paid").check()
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_text("Endpoint created")).to_be_visible()
    endpoint_url = page.url.split("?")[0]
    shot(page, "endpoint")

    step("7 (first). reveal the secret: absent from the page until asked for")
    assert "whsec_" not in page.content()
    page.get_by_role("button", name="Reveal secret").click()
    expect(page.locator("#secret")).to_have_text(re.compile(r"^whsec_"))

    step("3. send an event (a test event, from the endpoint's page)")
    page.get_by_role("button", name="Send a test event").click()
    page.locator(".notice a").click()

    step("4. see its delivery appear in the log")
    wait_for_delivery(page, ".state.succeeded")
    shot(page, "message")

    step("5. open the attempt")
    page.locator("summary").first.click()
    expect(page.get_by_text("HTTP 200").first).to_be_visible()

    step("6. resend it")
    page.get_by_role("button", name="Resend to this endpoint").click()
    expect(page.get_by_text("Sent again")).to_be_visible()
    wait_for_delivery(page, "details", count=2)

    step("7. rotate the secret")
    page.goto(endpoint_url)
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_text("Rotated. The new secret")).to_be_visible()

    step("8. run the probe, its verdict in words")
    page.get_by_role("button", name="Check signature verification").click()
    expect(page.get_by_text(re.compile("Your endpoint (does not )?verif"))).to_be_visible()
    shot(page, "probe")

    step("the log: filters, and payloads and answers with markup shown as text")
    page.get_by_role("link", name="Message log").click()
    expect(page.get_by_role("heading", name="Message log")).to_be_visible()
    started = time.time()
    page.goto(BASE + "messages?endpoint=" + HOSTILE)
    timings["attempts_page_ms"] = round((time.time() - started) * 1000, 1)
    shot(page, "log")
    page.locator("tbody a").first.click()
    wait_for_delivery(page, ".state.succeeded")
    page.locator("summary").first.click()
    expect(page.locator("pre.response")).to_contain_text("<script>")
    expect(page.locator("main pre").first).to_contain_text("<img src=x onerror")
    assert page.locator("main img").count() == 0, "an <img> from a payload or an answer was rendered"
    assert page.locator("main script").count() == 0
    assert page.evaluate("typeof window.hooklinePwned") == "undefined", "a script from a body ran"
    assert not executed, f"a dialog opened: {executed}"

    step("the catalogue")
    page.get_by_role("link", name="Event catalogue").click()
    expect(page.get_by_text("An invoice was paid")).to_be_visible()

    step("360 px wide: nothing scrolls sideways")
    phone = browser.new_context(viewport={"width": 360, "height": 740})
    small = phone.new_page()
    small.context.add_cookies([cookie])
    small.goto(endpoint_url)
    assert small.evaluate("document.documentElement.scrollWidth") <= 360, "the page is wider than 360 px"
    shot(small, "endpoint-360px")
    phone.close()

    step("the link works once, and never again")
    again = browser.new_context().new_page()
    answer = again.goto(LINK)
    assert answer.status == 401, answer.status
    expect(again.get_by_text("already been used")).to_be_visible()

    step("no portal URL ever went out as a Referer")
    assert not [r for r in referers if r], referers

    step("9. a view-only session: no manage buttons, and a crafted POST is refused")
    viewer = browser.new_context().new_page()
    viewer.goto(VIEW_LINK)
    expect(viewer.get_by_role("heading", name="Endpoints")).to_be_visible()
    assert viewer.get_by_role("link", name="Add endpoint").count() == 0
    viewer.goto(endpoint_url)
    for name in ["Rotate secret", "Reveal secret", "Send a test event", "Save changes", "Recover"]:
        assert viewer.get_by_role("button", name=name).count() == 0, name
    assert viewer.get_by_role("link", name="Delete this endpoint…").count() == 0
    csrf = viewer.locator("input[name=csrf]").first.get_attribute("value")
    for action in ["rotate", "secret", "delete", "test"]:
        refused = viewer.request.post(endpoint_url + "/" + action, form={"csrf": csrf})
        assert refused.status == 403, (action, refused.status)
    forged = viewer.request.post(endpoint_url + "/rotate", form={"csrf": "0" * 64})
    assert forged.status == 403, forged.status
    shot(viewer, "view-only")

    step("sign out ends the session in this browser")
    page.goto(BASE)
    page.get_by_role("button", name="Sign out").click()
    assert page.goto(BASE).status == 401

    browser.close()

print(json.dumps({"ok": True, "timings": timings}))
