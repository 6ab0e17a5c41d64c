"""axe-core (from npm, tests/e2e/node_modules, never a CDN) injected into Chromium by
Playwright; the sideways-scroll check; screenshots saved as test artefacts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import require

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("ADVOCACY_E2E_ARTIFACTS", HERE / "artifacts"))
WIDTHS = {"desktop": (1280, 900), "phone": (375, 740)}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary),
  }));
}"""

SIDEWAYS = """() => {
  const root = document.scrollingElement || document.documentElement;
  const wide = Array.from(document.querySelectorAll('body *')).filter((el) => {
    const box = el.getBoundingClientRect();
    return box.right > root.clientWidth + 1 && !el.closest('.table-scroll, pre, textarea, .hp');
  }).slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                               (el.className ? '.' + String(el.className).replace(/ /g, '.') : ''));
  return {scroll: root.scrollWidth, client: root.clientWidth, wide};
}"""


def require_axe() -> None:
    require(
        AXE.is_file(),
        f"axe-core not installed at {AXE} (npm ci --prefix tests/e2e, as `make test` does)",
    )


@dataclass
class Audit:
    """What every page visited showed: axe violations, sideways scroll, screenshots."""

    prefix: str
    # Where axe runs: supporters' pages at both widths; organizers' at the phone width only,
    # where layouts are tightest (the walk must stay within the suite's time budget).
    axe_at: tuple[str, ...] = ("desktop", "phone")
    violations: dict[str, list[dict]] = field(default_factory=dict)
    sideways: dict[str, dict] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)

    def check(self, page, name: str) -> None:
        """Audit the page as it is now at both widths (the page is not reloaded)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.pages.append(name)
        for width_name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            if width_name in self.axe_at:
                if not page.evaluate("() => typeof axe !== 'undefined'"):
                    page.add_script_tag(path=str(AXE))
                found = page.evaluate(RUN_AXE, WCAG_21_AA)
                if found:
                    self.violations[f"{name} @{width}px"] = found
            if width_name == "phone":
                measured = page.evaluate(SIDEWAYS)
                if measured["scroll"] > measured["client"]:
                    self.sideways[name] = measured
            slug = re.sub(r"[^a-z0-9]+", "-", f"{self.prefix}-{name}".lower()).strip("-")
            page.screenshot(path=str(ARTIFACTS / f"{slug}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})

    def problems(self) -> str:
        """Every violation and sideways scroll found, one per line ("" when none)."""
        lines = [_report(self.violations)] if self.violations else []
        lines += [f"{name} @375px scrolls sideways: {m}" for name, m in self.sideways.items()]
        return "\n".join(lines)


def _report(violations: dict[str, list[dict]]) -> str:
    lines = []
    for where, found in violations.items():
        for v in found:
            lines.append(f"{where}: {v['id']} ({v['impact']}) {v['help']}")
            lines += [f"    {node}" for node in v["nodes"]]
    return "\n".join(lines)
