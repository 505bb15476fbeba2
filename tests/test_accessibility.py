"""Accessibility: axe-core (vendored under tests/vendor, run offline in Debian's chromium) finds no
serious or critical violation on the map, a place page, the planner and the layer table."""
from pathlib import Path

import pytest
from browsing import DESKTOP, PHONE, Watched, need_browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PAGES = {
    "/": "document.querySelectorAll('.ym-legend-row').length === 4",
    "/planner": "document.querySelectorAll('#pl-table tbody tr').length > 0",
    "/layers": "document.readyState === 'complete'",
    "/place/venues/1": "document.querySelector('.ym-place-map .leaflet-interactive') !== null",
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", list(PAGES))
def test_no_serious_or_critical_violations(browser, server, path, viewport):
    need_browser()
    # axe is injected as a script's text, which the pages' CSP (rightly) forbids: only this check bypasses it.
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    watched = Watched(page, server)
    page.goto(server + path)
    page.wait_for_function(PAGES[path])
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
      const result = await axe.run(document, { resultTypes: ["violations"] });
      return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
    }""")
    context.close()
    assert found == [], found
    assert watched.problems == []
