import pytest

from chalicelib.domain.contacts import ContactHasher, ContactKind, mask
from chalicelib.domain.errors import HexwatchError

HASHER = ContactHasher(b"contact-hash-key-for-tests-only")


def test_the_same_email_in_any_case_or_spacing_is_one_contact() -> None:
    assert HASHER.email(" Jo.Bloggs@Example.ORG ").hash == HASHER.email("jo.bloggs@example.org").hash
    assert HASHER.email("Jo@Example.org").address == "jo@example.org"


def test_uk_numbers_in_any_form_are_one_e164_contact() -> None:
    forms = ["07400 123456", "+44 7400 123456", "+447400123456", "(07400) 123-456"]
    contacts = {HASHER.mobile(form).address for form in forms}
    assert contacts == {"+447400123456"}


def test_sms_needs_a_mobile_number_and_voice_accepts_a_landline() -> None:
    with pytest.raises(HexwatchError) as refused:
        HASHER.mobile("01785 257 111")
    assert refused.value.errors[0].pointer == "/phone"
    assert HASHER.landline("01785 257111").address == "+441785257111"


@pytest.mark.parametrize("number", ["020 7946 0123", "01785 257111", "0300 123 1212", "+44 113 496 0000"])
def test_a_landline_we_ring_with_a_code_is_a_uk_number_starting_01_02_or_03(number: str) -> None:
    assert HASHER.landline(number).kind is ContactKind.LANDLINE


@pytest.mark.parametrize("number", ["07400 123456", "0800 123 4567", "+33 1 23 45 67 89", "0845 123 4567"])
def test_mobiles_freephone_premium_shared_cost_and_foreign_numbers_are_not_rung(number: str) -> None:
    with pytest.raises(HexwatchError) as refused:
        ContactHasher(b"contact-hash-key-for-tests-only").landline(number)
    assert refused.value.status == 400 and refused.value.errors[0].pointer == "/landline"


@pytest.mark.parametrize("bad", ["not an email", "a@b", "@example.org", "jo@exa mple.org"])
def test_malformed_emails_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(HexwatchError) as refused:
        HASHER.email(bad)
    assert refused.value.status == 400 and refused.value.errors[0].pointer == "/email"


def test_the_hash_depends_on_the_secret_key_so_a_table_alone_reveals_nothing() -> None:
    other = ContactHasher(b"another-key-entirely-different")
    assert HASHER.hash("jo@example.org") != other.hash("jo@example.org")
    assert "jo" not in HASHER.hash("jo@example.org")


def test_codes_are_bound_to_their_contact() -> None:
    assert HASHER.code_digest("a", "123456") != HASHER.code_digest("b", "123456")


def test_masked_contacts_can_be_recognised_but_not_harvested() -> None:
    assert mask(ContactKind.EMAIL, "jo.bloggs@example.org") == "j***@example.org"
    assert mask("mobile", "+447911123456") == "+44*****456"
