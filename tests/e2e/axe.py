"""Accessibility checks in the browser tests: axe-core (vendored from npm,
``vendor/axe-core``, version in its VERSION file), injected into the page
a Selenium driver shows, run with the WCAG 2.x A and AA rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def violations(driver: Any) -> list[dict[str, Any]]:
    """Every axe violation on the page ``driver`` shows now."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}})
          .then(result => done(result.violations))
          .catch(error => done([{id: "axe-error", impact: "critical",
                                 help: String(error), nodes: []}]));
        """,
        TAGS,
    )
    return list(found)


def serious_violations(driver: Any) -> list[str]:
    """The page's serious and critical violations, each as ``rule: help``
    with the first few elements it names (empty: none)."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n.get("target")) for n in v["nodes"][:3])
        for v in violations(driver)
        if v.get("impact") in SERIOUS
    ]
