"""The layer zip depends only on the files' contents: not on when, where or in which order they were written."""

import os
import zipfile
from pathlib import Path

from layers.build import deterministic_zip


def tree(root: Path, order: list[str], mtime: int) -> Path:
    for name in order:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}")
        os.utime(path, (mtime, mtime))
    (root / "pkg" / "__pycache__").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(os.urandom(16))
    return root


def test_the_same_files_written_differently_zip_to_the_same_bytes(tmp_path: Path) -> None:
    first = tree(tmp_path / "a", ["pkg/mod.py", "pkg/data.json", "other/x.py"], 1_600_000_000)
    second = tree(tmp_path / "b", ["other/x.py", "pkg/data.json", "pkg/mod.py"], 1_700_000_000)
    digest_a = deterministic_zip(first, tmp_path / "a.zip")
    digest_b = deterministic_zip(second, tmp_path / "b.zip")
    assert digest_a == digest_b
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert names == sorted(names) and all(n.startswith("python/") for n in names)
    assert not any("__pycache__" in n for n in names)


def test_a_changed_file_changes_the_digest(tmp_path: Path) -> None:
    base = tree(tmp_path / "a", ["pkg/mod.py"], 1_600_000_000)
    before = deterministic_zip(base, tmp_path / "a.zip")
    (base / "pkg" / "mod.py").write_text("changed")
    assert deterministic_zip(base, tmp_path / "b.zip") != before
