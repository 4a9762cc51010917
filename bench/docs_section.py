"""The one way a bench writes its figures into docs/performance.md: between its own begin and end markers, replacing
what was there, or as a new section (with its heading) at the end, or before another section's heading."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def markers(name: str) -> tuple[str, str]:
    """The HTML comments that bound bench `name`'s figures, e.g. `<!-- bench.fanout:begin -->`."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_section(name: str, text: str, heading: str | None = None, before: str | None = None,
                  docs: Path = DOCS) -> None:
    begin, end = markers(name)
    current = docs.read_text(encoding="utf-8") if docs.exists() else "# Performance\n"
    block = f"{begin}\n{text}\n{end}"
    if begin in current and end in current:
        current = current[:current.index(begin)] + block + current[current.index(end) + len(end):]
    else:
        section = (f"{heading}\n\n" if heading else "") + block + "\n"
        at = current.find(f"\n{before}") if before else -1
        current = current[:at + 1] + section + "\n" + current[at + 1:] if at >= 0 else \
            current.rstrip() + "\n\n" + section
    docs.write_text(current, encoding="utf-8")
