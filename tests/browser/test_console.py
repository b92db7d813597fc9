"""The web console in a real headless Chromium against the local stack: sign in as a dev user,
chat, watch a reply arrive without a reload, find the session, search and see the hit marked,
open similar conversations, read the analytics chart's drawn points, rename, archive and delete,
and a second user who sees none of it. axe-core checks every page at 1280 and 375 px wide;
screenshots of every page land in build/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from emulators.stack import Stack
from tests.browser.conftest import AXE, EXPECT_MS, PHONE
from tests.conftest import unique_id
from tests.integration.test_search_api import Api, eventually, indexed

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def people(stack: Stack) -> dict[str, Any]:
    """Alice has three conversations (two about travel in Portugal, one about bread), indexed
    for search by meaning; Bob is in the same tenant and has none."""
    if not all(stack.has(c) for c in ("chat", "sessions", "search", "ingest", "vertex")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    tenant = unique_id("t")
    alice, bob = Api(stack, tenant, "alice"), Api(stack, tenant, "bob")
    sessions = {
        "lisbon": alice.chat("I am planning a trip to Lisbon in May with my family.")["session_id"],
        "porto": alice.chat("Which towns near Porto in Portugal are worth a day trip?")[
            "session_id"
        ],
        "bread": alice.chat("How do I make my sourdough bread rise better?")["session_id"],
    }
    indexed(stack, tenant, list(sessions.values()))
    # The search function loads its clients on its first request (seconds on a busy machine):
    # that wait belongs here, not inside a page's timeout.
    bob.search("warm up")
    return {"tenant": tenant, "alice": alice, "bob": bob, "sessions": sessions}


def axe_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_page(page: Any, shots: Path, name: str) -> None:
    """Screenshot the page, then hold it to axe-core and to the viewport's width."""
    width = page.viewport_size["width"]
    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    assert axe_problems(page) == [], f"{name} at {width} px"
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} scrolls sideways at {width} px ({overflow} px wide)"


def sign_in(page: Any, url: str, tenant: str, user: str, shots: Path | None = None) -> None:
    page.goto(url)
    page.get_by_label("Tenant", exact=True).fill(tenant)
    page.get_by_label("User", exact=True).fill(user)
    if shots is not None:
        check_page(page, shots, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Sessions", level=1).wait_for(timeout=EXPECT_MS)


def drawn(page: Any, chart: str) -> dict[str, Any]:
    """The chart's labels and, per dataset, the values its drawn points stand for: each point
    element's pixel position read back through the chart's value axis."""
    return page.evaluate(
        """(name) => {
            const chart = window.hsCharts[name];
            const horizontal = chart.options.indexAxis === 'y';
            const axis = chart.scales[horizontal ? 'x' : 'y'];
            return {
                labels: chart.data.labels,
                datasets: chart.data.datasets.map((d, i) => ({
                    label: d.label,
                    values: chart.getDatasetMeta(i).data.map(
                        (el) => Math.round(axis.getValueForPixel(horizontal ? el.x : el.y))),
                })),
            };
        }""",
        chart,
    )


def test_console_walkthrough_as_one_user(
    people: dict[str, Any], desktop: Any, console_url: str, screenshots: Path
) -> None:
    page, alice, tenant = desktop, people["alice"], people["tenant"]
    sessions = people["sessions"]
    sign_in(page, console_url, tenant, "alice", screenshots)

    listed = page.locator("li.session")
    listed.first.wait_for()
    assert {listed.nth(i).get_attribute("data-session-id") for i in range(listed.count())} == set(
        sessions.values()
    )

    # A conversation started in the console: question and reply, with the reply's usage.
    page.get_by_label("Your message").fill("I want to learn to sail a small boat on the river.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/#/sessions/*")
    sail = page.url.rsplit("/", 1)[1]
    messages = page.locator("li.message")
    messages.nth(1).wait_for()
    assert messages.nth(0).get_attribute("class") == "message user"
    assert "sail a small boat" in messages.nth(0).inner_text()
    usage = messages.nth(1).locator(".usage").inner_text()
    assert "tokens in" in usage and "tokens out" in usage and " ms" in usage

    # A turn added through the API shows up without a reload (the page polls).
    alice.chat("Which sailing school would you recommend?", sail)
    page.locator('li.message[data-seq="3"]').wait_for()
    assert [messages.nth(i).get_attribute("data-seq") for i in range(4)] == ["0", "1", "2", "3"]
    check_page(page, screenshots, "conversation")

    # Rename and archive, then find it by status and by title on the sessions page.
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("New title").fill("Sailing lessons")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Sailing lessons", level=1).wait_for()
    page.get_by_role("button", name="Archive").click()
    page.locator(".meta .badge.archived").wait_for()
    assert alice.call("GET", f"/v1/sessions/{sail}").json()["title"] == "Sailing lessons"
    assert alice.call("GET", f"/v1/sessions/{sail}").json()["status"] == "archived"

    page.get_by_role("link", name="Sessions", exact=True).click()
    page.locator(f'li.session[data-session-id="{sail}"]').wait_for()
    page.get_by_label("Status").select_option("archived")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**status=archived**")
    page.locator("li.session").first.wait_for()
    assert page.locator("li.session").count() == 1
    page.get_by_label("Status").select_option("")
    page.get_by_label("Title contains").fill("sailing")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**q=sailing**")
    page.locator(f'li.session[data-session-id="{sail}"]').wait_for()
    assert page.locator("li.session").count() == 1
    page.get_by_label("Title contains").fill("")
    page.get_by_role("button", name="Apply").click()
    page.locator("li.session").nth(3).wait_for()
    check_page(page, screenshots, "sessions")

    # Search by meaning: no word of the query is in the message; the passage is marked.
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Search your conversations by meaning").fill("a holiday in Portugal")
    page.get_by_role("button", name="Search").click()
    hit = page.locator(f'li.result[data-message-id="{sessions["lisbon"]}-00000000"]')
    hit.wait_for()
    assert "trip to Lisbon" in hit.locator("mark").first.inner_text()
    assert page.locator(".banner.warn").is_hidden()
    check_page(page, screenshots, "search")

    # Similar conversations of the Lisbon trip: the Porto one before the bread.
    hit.get_by_role("link", name="Open conversation").click()
    page.get_by_role("link", name="Similar conversations").click()
    results = page.locator("li.result")
    results.first.wait_for()
    order = [results.nth(i).get_attribute("data-session-id") for i in range(results.count())]
    assert sessions["lisbon"] not in order
    assert order.index(sessions["porto"]) < order.index(sessions["bread"])
    check_page(page, screenshots, "similar")

    # Analytics once BigQuery has every message: the drawn points are the API's numbers.
    def report() -> dict[str, Any] | None:
        until = datetime.now(UTC)
        window = {"since": (until - timedelta(hours=24)).isoformat(), "until": until.isoformat()}
        response = alice.call("GET", "/v1/analytics", params={"granularity": "hour", **window})
        body = response.json() if response.status_code == 200 else None
        return body if body and body["totals"]["messages"] == 10 else None

    api = eventually(report, timeout=90)
    page.goto(console_url + "#/analytics?granularity=hour&range=24h")
    page.wait_for_function("window.hsCharts && window.hsCharts.activity")
    chart = drawn(page, "activity")
    by_label = {d["label"]: d["values"] for d in chart["datasets"]}
    assert set(by_label) == {"Messages", "Sessions", "Users"}
    # The page asked for the same 24 hours a moment later: one more period at most.
    assert len(by_label["Messages"]) == len(chart["labels"])
    assert abs(len(chart["labels"]) - len(api["series"])) <= 1
    for label, field in (("Messages", "messages"), ("Sessions", "sessions"), ("Users", "users")):
        wanted = [p[field] for p in api["series"] if p[field]]
        assert [v for v in by_label[label] if v] == wanted, label
    assert sum(by_label["Messages"]) == 10
    topics = drawn(page, "topics")
    assert topics["labels"] == [t["phrase"] for t in api["top_topics"]]
    assert topics["datasets"][0]["values"] == [t["sessions"] for t in api["top_topics"]]
    check_page(page, screenshots, "analytics")

    page.get_by_role("link", name="Status").click()
    page.locator('tr[data-feature="search"]').wait_for()
    check_page(page, screenshots, "status")

    # Delete: gone from the list and from the API.
    page.goto(console_url + f"#/sessions/{sessions['bread']}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("heading", name="Sessions", level=1).wait_for()
    page.locator(f'li.session[data-session-id="{sail}"]').wait_for()
    assert page.locator(f'li.session[data-session-id="{sessions["bread"]}"]').count() == 0
    assert alice.call("GET", f"/v1/sessions/{sessions['bread']}").status_code == 404


def test_console_at_phone_width_passes_axe(
    people: dict[str, Any], browser: Any, console_url: str, screenshots: Path
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(EXPECT_MS)
    page = context.new_page()
    try:
        sign_in(page, console_url, people["tenant"], "alice", screenshots)
        lisbon = people["sessions"]["lisbon"]
        pages = {
            "sessions": ("#/sessions", "li.session"),
            "conversation": (f"#/sessions/{lisbon}", "li.message"),
            "similar": (f"#/sessions/{lisbon}/similar", "li.result"),
            "search": ("#/search?q=Lisbon", "li.result"),
            "analytics": ("#/analytics", "canvas"),
            "status": ("#/status", "tr[data-feature]"),
        }
        for name, (route, ready) in pages.items():
            page.goto(console_url + route)
            page.locator(ready).first.wait_for()
            check_page(page, screenshots, name)
    finally:
        context.close()


def test_second_user_sees_none_of_the_first_users_data(
    people: dict[str, Any], desktop: Any, console_url: str, screenshots: Path
) -> None:
    page, sessions = desktop, people["sessions"]
    sign_in(page, console_url, people["tenant"], "bob")
    page.locator("li.empty").wait_for()
    assert page.locator("li.session").count() == 0

    page.goto(console_url + "#/search?q=trip%20to%20Lisbon")
    page.locator("li.empty").wait_for()
    assert page.locator("li.result").count() == 0

    page.goto(console_url + f"#/sessions/{sessions['lisbon']}")
    page.get_by_role("alert").wait_for()
    assert "session_not_found" in page.get_by_role("alert").inner_text()
    page.screenshot(path=str(screenshots / "other-user-denied-1280.png"))

    page.goto(console_url + "#/analytics?granularity=hour&range=24h")
    page.wait_for_function("window.hsCharts && window.hsCharts.activity")
    assert all(v == 0 for d in drawn(page, "activity")["datasets"] for v in d["values"])


def test_degraded_search_shows_a_banner(
    people: dict[str, Any], stack: Stack, desktop: Any, console_url: str, screenshots: Path
) -> None:
    faults = f"{stack.url('vertex')}/emulator/v1/faults"
    sign_in(desktop, console_url, people["tenant"], "alice")
    requests.post(faults, json={"count": None, "code": 503, "scope": "embed"}, timeout=10)
    try:
        desktop.goto(console_url + "#/search?q=trip%20to%20Lisbon")
        banner = desktop.locator(".banner.warn")
        banner.wait_for()
        assert "Degraded" in banner.inner_text()
        lisbon = people["sessions"]["lisbon"]
        hit = desktop.locator(f'li.result[data-message-id="{lisbon}-00000000"]')
        assert {"trip", "Lisbon"} <= set(hit.locator("mark").all_inner_texts())
        check_page(desktop, screenshots, "search-degraded")
    finally:
        requests.delete(faults, timeout=10).raise_for_status()
    # Leave the shared stack as found: search by meaning again for the tests after this one.
    alice = people["alice"]
    eventually(lambda: not alice.search("trip")["degraded"], timeout=60)


def test_console_on_another_origin_calls_the_api_through_cors(
    people: dict[str, Any], stack: Stack, desktop: Any, screenshots: Path
) -> None:
    """As from Firebase Hosting: the page's origin (localhost) is not the API's (127.0.0.1),
    so every call is cross-origin, with a preflight for the Authorization header; the stack's
    functions allow that origin (HS_CORS_ORIGINS), so the page works."""
    api = stack.url("gateway")
    other_origin = api.replace("127.0.0.1", "localhost")
    config = {"apiUrl": api, "auth": "dev"}
    desktop.route("**/config.json", lambda route: route.fulfill(json=config))
    sign_in(desktop, other_origin + "/", people["tenant"], "alice")
    listed = desktop.locator("li.session")
    listed.first.wait_for()
    assert listed.count() >= 2
    desktop.goto(other_origin + f"/#/sessions/{people['sessions']['porto']}")
    desktop.get_by_role("button", name="Rename").click()
    desktop.get_by_label("New title").fill("Day trips from Porto")
    desktop.get_by_role("button", name="Save").click()
    desktop.get_by_role("heading", name="Day trips from Porto", level=1).wait_for()
    desktop.screenshot(path=str(screenshots / "cross-origin-1280.png"))


def test_cloud_sign_in_goes_to_firebase_authentication(
    desktop: Any, console_url: str, screenshots: Path
) -> None:
    """With the cloud's config.json the console signs in through Firebase Authentication: the
    SDK's call to Identity Toolkit (answered here, since no cloud is reachable) carries the web
    app's API key and the person's email; its refusal is shown."""
    config = {
        "apiUrl": "https://hs-test-gateway.uc.gateway.dev",
        "auth": "firebase",
        "firebase": {
            "apiKey": "test-web-api-key",
            "authDomain": "hs-test.firebaseapp.com",
            "projectId": "hs-test",
            "appId": "1:123:web:abc",
        },
    }
    calls: list[Any] = []

    def identity_toolkit(route: Any) -> None:
        calls.append(route.request)
        refusal = {"error": {"code": 400, "message": "INVALID_LOGIN_CREDENTIALS"}}
        route.fulfill(status=400, json=refusal)

    desktop.route("**/config.json", lambda route: route.fulfill(json=config))
    desktop.route("https://identitytoolkit.googleapis.com/**", identity_toolkit)
    desktop.goto(console_url)
    desktop.get_by_label("Email").fill("ann@example.com")
    desktop.get_by_label("Password").fill("not-her-password")
    check_page(desktop, screenshots, "sign-in-firebase")
    desktop.get_by_role("button", name="Sign in", exact=True).click()
    desktop.get_by_role("alert").wait_for()
    assert "invalid" in desktop.get_by_role("alert").inner_text().lower()
    sign_in_call = next(c for c in calls if "signInWithPassword" in c.url)
    assert "key=test-web-api-key" in sign_in_call.url
    assert sign_in_call.post_data_json["email"] == "ann@example.com"
