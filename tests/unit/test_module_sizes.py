"""No service module over 300 lines, and no pipeline stage over 250: past that a module holds more than one use case,
and its unit tests need more fakes than any one reader can keep in mind. Split it by use case, as
services/residents.py was (resident_*.py) and the fan-out was (services/pipeline/, one module per stage)."""

from __future__ import annotations

from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "functions" / "chalicelib" / "services"
PIPELINE = SERVICES / "pipeline"
MAX_LINES = 300
MAX_STAGE_LINES = 250


def lines_of(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def too_long(folder: Path, limit: int) -> dict[str, int]:
    modules = sorted(folder.rglob("*.py"))
    assert modules, f"no modules found under {folder}"
    return {str(path.relative_to(folder)): lines_of(path) for path in modules if lines_of(path) > limit}


def test_no_service_module_is_over_300_lines() -> None:
    assert too_long(SERVICES, MAX_LINES) == {}, f"split these by use case (at most {MAX_LINES} lines each)"


def test_no_pipeline_stage_is_over_250_lines() -> None:
    assert too_long(PIPELINE, MAX_STAGE_LINES) == {}, f"split these (at most {MAX_STAGE_LINES} lines each)"
