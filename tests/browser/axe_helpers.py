"""axe-core (bundled by axe-playwright-python) with the WCAG 2.2 AA rule set, failing with readable violations."""

from __future__ import annotations

from typing import Any

import pytest

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    # Passing options replaces axe's default resultTypes, so ask for violations explicitly (DESIGN.md).
    "resultTypes": ["violations"],
}


def violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return list(results.response.get("violations", []))


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}")
        for node in violation.get("nodes", [])[:8]:
            lines.append(f"    {node.get('target')}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def assert_no_violations(page: Any, where: str) -> None:
    found = violations(page)
    if found:
        pytest.fail(f"axe found {len(found)} WCAG violation(s) on {where}:\n{describe(found)}", pytrace=False)
