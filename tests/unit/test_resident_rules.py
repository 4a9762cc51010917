import pytest

from chalicelib.adapters.geocoding import OutcodeGeocoder, outward_code
from chalicelib.bootstrap import OUTCODES_CSV
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.residents import ACTIVE, PENDING, Consent, ContactRecord, Device, Resident, check_preferences


def resident(status: str = ACTIVE, channels: list[str] | None = None, contacts: list[ContactRecord] | None = None,
             devices: list[Device] | None = None) -> Resident:
    return Resident(id="R1", status=status, language="en", channels=channels or ["email", "sms", "push"],
                    categories=["crime"], business_sectors=[], groups=["farm"], locations=[],
                    contacts=contacts or [ContactRecord("email", "jo@example.org", "h1", "2026-11-21T00:00:00Z"),
                                          ContactRecord("mobile", "+447700900123", "h2", None)],
                    consent=Consent("2026-11", "2026-11-21T00:00:00Z"), created_at="", updated_at="",
                    devices=devices or [])


def test_only_verified_contacts_and_registered_devices_make_a_channel_reachable() -> None:
    assert resident().reachable_channels() == ["email"]
    with_device = resident(devices=[Device("D1", "fcm", "t" * 20, None, None, "")])
    assert with_device.reachable_channels() == ["email", "push"]


def test_a_pending_resident_is_reachable_on_nothing() -> None:
    assert resident(status=PENDING).reachable_channels() == []


def test_sectors_need_the_business_category_and_channels_need_a_contact() -> None:
    with pytest.raises(HexwatchError) as refused:
        check_preferences(["email", "sms"], ["crime"], ["retail"], {"email"})
    assert {e.pointer for e in refused.value.errors} == {"/business_sectors", "/channels/1"}
    check_preferences(["voice"], ["business"], ["retail"], {"landline"})


def test_postcode_districts_resolve_approximately_and_say_so() -> None:
    geocoder = OutcodeGeocoder(OUTCODES_CSV)
    stafford = geocoder.geocode("st16 2dh")
    assert stafford is not None and stafford.precision == "district" and "approximate" in (stafford.note or "")
    assert 52.7 < stafford.lat < 52.9
    assert geocoder.geocode("ZZ99") is None
    assert outward_code("ST16 2DH") == "ST16" and outward_code("nonsense") is None
