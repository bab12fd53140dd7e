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

from oversight.measures.catalogue import load_catalogue
from web.webtools import AXE

CATALOGUE = load_catalogue()
MAIN_PAGES = ["/", "/crime/", "/trust/", "/stop-search/", "/hate-crime-vawg/", "/measures/", "/health/",
              "/methods/", "/api/", "/measures/stop_search_volume/", "/measures/trust_gap_ethnicity/",
              "/measures/no_such_measure/"]
EVERY_PAGE = list(dict.fromkeys([*MAIN_PAGES[:-1], *(f"/measures/{m}/" for m in CATALOGUE), MAIN_PAGES[-1]]))
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING = ("serious", "critical")
FIRST_PAINT_MS = 1000


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-").replace("&", "-") or "overview"


@pytest.fixture
def page_at(browser: Any) -> Iterator[Any]:
    """page_at(width) -> a fresh page; console errors and page errors are collected on it."""
    contexts = []

    def make(width: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
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
    """Scroll to the bottom so every chart is drawn (they are drawn as they come into view)."""
    for _ in range(80):
        at_end = page.evaluate("() => { window.scrollBy(0, 800); "
                               "return window.scrollY + window.innerHeight >= document.body.scrollHeight - 2; }")
        page.wait_for_timeout(40)
        if at_end:
            break
    page.wait_for_function("() => [...document.querySelectorAll('[data-spec]')].every(n => n.classList.contains('chart-drawn'))",
                           timeout=20000)
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
    widths = WIDTHS if path in MAIN_PAGES else {"desktop": WIDTHS["desktop"]}
    for label, width in widths.items():
        page = page_at(width)
        page.goto(live_server + path, wait_until="load")
        scroll_through(page)
        page.screenshot(path=str(artifacts / f"{_name(path)}-{label}.png"), full_page=True)
        # Reflow (WCAG 1.4.10): nothing but a table's own scroll region is wider than the screen.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways"
        violations = run_axe(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"{path} at {width}px:\n{_describe(blocking)}"
        expected = ["Failed to load resource: the server responded with a status of 404 (Not Found)"] \
            if path == MAIN_PAGES[-1] else []  # the error page is itself a 404
        assert page.problems == expected, f"{path}: console errors {page.problems}"


@pytest.mark.parametrize("path", MAIN_PAGES[:-1])
def test_first_paint_is_under_a_second(page_at: Any, live_server: str, path: str) -> None:
    page = page_at(WIDTHS["desktop"])
    page.goto(live_server + path, wait_until="load")
    page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0")
    paint = page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0].startTime")
    assert paint < FIRST_PAINT_MS, f"{path}: first contentful paint at {paint:.0f} ms"


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
    page.screenshot(path=str(artifacts / "journey-1-overview.png"), full_page=True)

    page.select_option("#filter-area", label="Lambeth")
    page.click("text=Show figures")
    page.wait_for_load_state("load")
    assert "area=E09000022" in page.url
    assert page.locator("p.state").inner_text().startswith("Showing Lambeth")
    page.screenshot(path=str(artifacts / "journey-2-borough.png"), full_page=True)

    options = page.locator("#filter-period option").evaluate_all("(os) => os.map(o => o.value)")
    chosen = next(v for v in options if v.startswith("FY"))
    page.select_option("#filter-period", chosen)
    page.click("text=Show figures")
    page.wait_for_load_state("load")
    assert f"period={chosen}" in page.url and "area=E09000022" in page.url
    page.reload()  # the URL alone brings the same view back
    assert page.locator("#filter-period").input_value() == chosen
    assert page.locator("#filter-area").input_value() == "E09000022"
    page.screenshot(path=str(artifacts / "journey-3-period.png"), full_page=True)

    with page.expect_download() as download:
        page.click("text=every figure shown (CSV)")
    saved = tmp_path / "overview.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["area_code"] for r in rows} == {"E09000022"}

    page.locator(".card h3 a").first.click()
    page.wait_for_load_state("load")
    assert re.search(r"/measures/[a-z0-9_]+/\?area=E09000022", page.url)
    assert "Lambeth" in page.locator("p.state").inner_text()
    scroll_through(page)
    page.screenshot(path=str(artifacts / "journey-4-measure.png"), full_page=True)
    assert not page.problems, page.problems
