"""In a real browser (headless Chromium against a uvicorn server): accessibility with axe-core,
first paint, the keyboard, the Content-Security-Policy, and the journeys people take.
Screenshots of every page at desktop and phone width go to tests/web/artifacts/."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web.webtools import (
    AXE,
    BROWSER_TIMEOUT_MS,
    load_per_core,
    screenshot,
    timing_budget_ms,
)

from oversight.measures.catalogue import load_catalogue

CATALOGUE = load_catalogue()
MAIN_PAGES = ["/", "/crime/", "/trust/", "/trust/gap/", "/stop-search/", "/hate-crime-vawg/", "/measures/", "/health/",
              "/methods/", "/api/", "/measures/stop_search_volume/", "/measures/trust_gap_ethnicity/",
              "/trust/neighbourhoods/", "/trust/neighbourhoods/KG-KB/", "/custody/", "/complaints/",
              "/stop-search/forces/",
              "/measures/no_such_measure/"]
PACK_PAGES = ["/packs/stop-search/lambeth/2018-12/"]
"""Community monitoring packs: read on phones too, so checked at both widths."""
EVERY_PAGE = list(dict.fromkeys([*MAIN_PAGES[:-1], *PACK_PAGES, *(f"/measures/{m}/" for m in CATALOGUE),
                                 MAIN_PAGES[-1]]))
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING = ("serious", "critical")
FIRST_PAINT_MS = 1000  # on a machine with a core to spare; stretched by the load beyond that


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-").replace("&", "-") or "overview"


@pytest.fixture
def page_at(browser: Any) -> Iterator[Any]:
    """page_at(width) -> a fresh page; console errors and page errors are collected on it."""
    contexts = []

    def make(width: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        context.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        return page

    yield make
    for context in contexts:
        context.close()


def scroll_through(page: Any) -> None:
    """Scroll to the bottom a screen at a time so every chart is drawn (they are drawn as they come
    into view), letting the browser render each position, then wait until every chart is drawn."""
    for _ in range(80):
        # Two animation frames after a scroll, the position has been rendered and the page's
        # IntersectionObserver told; scrolling on sooner could skip a chart on a slow machine.
        at_end = page.evaluate("""() => new Promise(done => { window.scrollBy(0, 800);
            requestAnimationFrame(() => requestAnimationFrame(() =>
                done(window.scrollY + window.innerHeight >= document.body.scrollHeight - 2))); })""")
        if at_end:
            break
    page.wait_for_function("() => [...document.querySelectorAll('[data-spec]')]"
                           ".every(n => n.classList.contains('chart-drawn'))")
    page.evaluate("() => window.scrollTo(0, 0)")


def run_axe(page: Any) -> list[dict[str, Any]]:
    assert AXE.exists(), "axe-core is missing: run 'npm ci' in tests/web"
    # evaluate() is not subject to the page's Content-Security-Policy, unlike an injected <script>.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
        resultTypes: ['violations']})""")
    return result["violations"]


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
                     for v in violations)


# outputs: accessibility, screenshots, first paint ------------------------------------------------


@pytest.mark.parametrize("path", EVERY_PAGE)
def test_every_page_has_no_serious_accessibility_violations(page_at: Any, live_server: str, path: str,
                                                            artifacts: Path) -> None:
    widths = WIDTHS if path in MAIN_PAGES or path in PACK_PAGES else {"desktop": WIDTHS["desktop"]}
    for label, width in widths.items():
        page = page_at(width)
        page.goto(live_server + path, wait_until="load")
        scroll_through(page)
        screenshot(page, artifacts / f"{_name(path)}-{label}.png")
        # Reflow (WCAG 1.4.10): nothing but a table's own scroll region is wider than the screen.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways"
        violations = run_axe(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"{path} at {width}px:\n{_describe(blocking)}"
        expected = ["Failed to load resource: the server responded with a status of 404 (Not Found)"] \
            if path == MAIN_PAGES[-1] else []  # the error page is itself a 404
        assert page.problems == expected, f"{path}: console errors {page.problems}"


def first_paint_ms(page: Any, url: str) -> float:
    page.goto(url, wait_until="load")
    page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0")
    return float(page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0].startTime"))


@pytest.mark.parametrize("path", MAIN_PAGES[:-1])
def test_first_paint_is_under_a_second(page_at: Any, live_server: str, path: str) -> None:
    """Under a second on a machine with a core to spare, longer in proportion when other jobs load
    it. A page over the limit is visited once more, as a passing spike of load can delay one
    paint; a page that is itself slow to paint is over both times."""
    page = page_at(WIDTHS["desktop"])
    paints = [first_paint_ms(page, live_server + path)]
    budget = timing_budget_ms(FIRST_PAINT_MS, load_per_core())
    if paints[0] >= budget:
        paints.append(first_paint_ms(page, live_server + path))
        budget = max(budget, timing_budget_ms(FIRST_PAINT_MS, load_per_core()))
    assert min(paints) < budget, (f"{path}: first contentful paint at {', '.join(f'{p:.0f}' for p in paints)} ms; "
                                  f"limit {budget:.0f} ms at a load of {load_per_core():.1f} per core")


def test_the_paint_limit_is_a_second_unless_the_cores_are_overloaded() -> None:
    assert timing_budget_ms(FIRST_PAINT_MS, 0.2) == FIRST_PAINT_MS
    assert timing_budget_ms(FIRST_PAINT_MS, 1.0) == FIRST_PAINT_MS
    assert timing_budget_ms(FIRST_PAINT_MS, 3.5) == 3.5 * FIRST_PAINT_MS  # load 7 on two cores


def test_a_screenshot_is_tried_again_once_after_a_time_out(tmp_path: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    class Page:
        """Times out the first `failures` screenshots."""

        def __init__(self, failures: int) -> None:
            self.failures, self.calls = failures, 0

        def screenshot(self, path: str, **options: Any) -> None:
            self.calls += 1
            if self.calls <= self.failures:
                raise PlaywrightTimeout("Timeout 60000ms exceeded.")
            Path(path).write_bytes(b"png")

        def wait_for_load_state(self, state: str) -> None:
            pass

    once = Page(failures=1)
    screenshot(once, tmp_path / "once.png")
    assert once.calls == 2 and (tmp_path / "once.png").exists()
    twice = Page(failures=2)
    with pytest.raises(PlaywrightTimeout):
        screenshot(twice, tmp_path / "twice.png")
    assert twice.calls == 2


def test_charts_are_drawn_with_no_content_security_policy_violation(page_at: Any, live_server: str) -> None:
    page = page_at(WIDTHS["desktop"])
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server + "/crime/", wait_until="load")
    scroll_through(page)
    assert page.locator(".chart-drawn svg.main-svg").count() >= 2
    assert not violations, violations


# inputs: the keyboard ------------------------------------------------------------------------


def test_the_skip_link_is_first_and_moves_focus_to_the_content(page_at: Any, live_server: str) -> None:
    page = page_at(WIDTHS["desktop"])
    page.goto(live_server + "/crime/", wait_until="load")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    box = page.locator(".skip-link").bounding_box()
    assert box and box["x"] >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_focus_is_always_visible_and_never_trapped(page_at: Any, live_server: str) -> None:
    page = page_at(WIDTHS["phone"])
    page.goto(live_server + "/stop-search/", wait_until="load")
    scroll_through(page)
    seen = []
    for _ in range(400):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            return {tag: e.tagName, text: (e.textContent || '').trim().slice(0, 40), cls: e.className,
                    outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow, bg: s.backgroundColor}; }""")
        if info["tag"] == "BODY":
            break
        assert info["outline"] != "none 0px" or info["shadow"] != "none" or info["bg"] == "rgb(255, 221, 0)", info
        seen.append(info["text"])
    assert "Show figures" in seen  # the filter form is reachable
    assert any("open data API" in s for s in seen)  # and so is the footer: no trap on the way


# journeys ----------------------------------------------------------------------------------


def test_a_person_picks_a_borough_changes_the_period_downloads_the_csv_and_opens_a_measure(
    page_at: Any, live_server: str, artifacts: Path, tmp_path: Path,
) -> None:
    page = page_at(WIDTHS["phone"])
    page.goto(live_server + "/", wait_until="load")
    screenshot(page, artifacts / "journey-1-overview.png")

    page.select_option("#filter-area", label="Lambeth")
    page.click("text=Show figures")
    page.wait_for_url(re.compile(r"area=E09000022"), wait_until="load")
    assert page.locator("p.state").inner_text().startswith("Showing Lambeth")
    screenshot(page, artifacts / "journey-2-borough.png")

    options = page.locator("#filter-period option").evaluate_all("(os) => os.map(o => o.value)")
    chosen = next(v for v in options if v.startswith("FY"))
    page.select_option("#filter-period", chosen)
    page.click("text=Show figures")
    page.wait_for_url(re.compile(f"period={re.escape(chosen)}"), wait_until="load")
    assert "area=E09000022" in page.url
    page.reload()  # the URL alone brings the same view back
    assert page.locator("#filter-period").input_value() == chosen
    assert page.locator("#filter-area").input_value() == "E09000022"
    screenshot(page, artifacts / "journey-3-period.png")

    with page.expect_download() as download:
        page.click("text=every figure shown (CSV)")
    saved = tmp_path / "overview.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["area_code"] for r in rows} == {"E09000022"}

    page.locator(".card h3 a").first.click()
    page.wait_for_url(re.compile(r"/measures/[a-z0-9_]+/\?area=E09000022"), wait_until="load")
    assert "Lambeth" in page.locator("p.state").inner_text()
    scroll_through(page)
    screenshot(page, artifacts / "journey-4-measure.png")
    assert not page.problems, page.problems
