"""The vendored JavaScript in site/vendor/ is exactly what infra/vendor_js.py fetched and checked from npm."""

from infra import vendor_js


def test_every_vendored_file_matches_the_manifest() -> None:
    assert vendor_js.check() == []


def test_every_vendored_package_ships_its_licence() -> None:
    for package in vendor_js.PACKAGES:
        licence = vendor_js.VENDOR_DIR / package.name / "LICENSE"
        assert licence.is_file() and licence.stat().st_size > 100, package.name


def test_a_changed_file_is_reported(tmp_path, monkeypatch) -> None:
    import shutil

    copy = tmp_path / "vendor"
    shutil.copytree(vendor_js.VENDOR_DIR, copy)
    (copy / "leaflet" / "leaflet.js").write_text("alert('not leaflet')")
    monkeypatch.setattr(vendor_js, "VENDOR_DIR", copy)
    monkeypatch.setattr(vendor_js, "MANIFEST", copy / "MANIFEST.json")
    assert vendor_js.check() == ["leaflet/leaflet.js: changed or missing"]
