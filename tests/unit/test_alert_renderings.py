"""What residents read and hear for one alert: email, SMS, voice and push, in their language, with the reference."""

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.alert_messages import (
    UNSUBSCRIBE_PLACEHOLDER,
    AlertLinks,
    email_content,
    email_recipient_fields,
    pick_content,
    push_text,
    sms_text,
    voice_text,
)
from chalicelib.domain.alerts import Alert, Content, Source, new_alert
from chalicelib.domain.delivery import fill_placeholders
from chalicelib.domain.sms import UCS_2, encoding, segments

NOW = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)
ALERT_ID = "01JD0000000000000000000000"
REF = "SP-2026-1234"
SENDER = "Staffordshire Police"
LINKS = AlertLinks("https://alerts.example.org", "https://api.example.org")
FULL_ALERT = f"alert.html?org=staffordshire&id={ALERT_ID}"
MAX_SEGMENTS = 3

LONG_BODY = (
    "Several homes on Mill Lane and Station Road were broken into overnight. The burglars entered through unlocked "
    "back doors and took keys, laptops and bicycles. Please lock doors and windows, keep keys away from letterboxes, "
    "and tell us about anyone acting suspiciously near parked cars or garden sheds. Officers will be in the area "
    "throughout the week and will call at homes on the affected streets."
)
# Long enough that no budget of three segments holds it, with or without the reference and contact.
VERY_LONG_BODY = f"{LONG_BODY} {LONG_BODY}"
POLISH_BODY = (
    "Złodzieje włamali się w nocy do kilku domów przy Mill Lane i Station Road. Prosimy zamykać drzwi i okna, "
    "trzymać klucze z dala od skrzynek na listy i zgłaszać podejrzane osoby kręcące się przy samochodach."
)
WELSH_BODY = (
    "Torrwyd i mewn i sawl tŷ ar Mill Lane a Station Road dros nos. Cofiwch gloi drysau a ffenestri, cadwch "
    "allweddi i ffwrdd o'r blwch llythyrau, a rhowch wybod i ni am unrhyw un sy'n ymddwyn yn amheus ger ceir."
)


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Burglaries on Mill Lane",
        "body": "Lock your doors and windows tonight.",
        "category": "crime",
        "priority": "high",
        "incident_ref": REF,
        "contact": {"phone": "101", "email": "alerts@staffordshire.police.uk",
                    "url": "https://www.staffordshire.police.uk/appeal"},
        "target": {"type": "organisation"},
        "channels": ["email", "sms", "voice", "push"],
    }
    return {**base, **changes}


def alert(**changes: Any) -> Alert:
    return new_alert(ALERT_ID, body(**changes), Source("officer", "staffordshire", "u1"), NOW)


def footage_alert(start: str = "2026-07-13T21:00:00Z", end: str = "2026-07-13T23:30:00Z") -> Alert:
    return alert(footage_request={"from": start, "to": end, "note": "Upload it at the force's portal."})


def renderings(subject_alert: Alert, language: str = "en") -> dict[str, str]:
    email = email_content(subject_alert, language, SENDER, LINKS)
    title, push_body = push_text(subject_alert, language, SENDER)
    return {
        "email text": email.text,
        "email html": email.html,
        "sms": sms_text(subject_alert, language, SENDER, LINKS, MAX_SEGMENTS),
        "voice": voice_text(subject_alert, language, SENDER),
        "push": f"{title}\n{push_body}",
    }


# Every channel ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    body()["body"],
    LONG_BODY,
    VERY_LONG_BODY,
], ids=["short", "fits-without-tail", "very-long"])
def test_every_rendering_carries_the_reference_and_the_phone_number(text: str) -> None:
    for channel, rendered in renderings(alert(body=text)).items():
        if channel == "voice":
            assert "S P - 2 0 2 6 - 1 2 3 4" in rendered, channel
        else:
            assert REF in rendered, channel
        assert "101" in rendered, channel


# Email -----------------------------------------------------------------------------------------------------------


def test_email_subject_names_the_priority_and_the_sender() -> None:
    assert email_content(alert(), "en", SENDER, LINKS).subject == f"Urgent alert: Burglaries on Mill Lane - {SENDER}"
    assert email_content(alert(priority="low"), "en", SENDER, LINKS).subject.startswith("Information: ")
    assert email_content(alert(priority="normal"), "en", SENDER, LINKS).subject.startswith("Alert: ")


def test_email_keeps_the_unsubscribe_and_reply_placeholders_for_each_recipient_to_fill() -> None:
    email = email_content(alert(), "en", SENDER, LINKS)
    assert UNSUBSCRIBE_PLACEHOLDER in email.text
    assert f'href="{UNSUBSCRIBE_PLACEHOLDER}"' in email.html

    data, _ = email_recipient_fields(LINKS, "token-for-alice", "reply-token-for-alice")
    own_link = "https://alerts.example.org/unsubscribe.html?token=token-for-alice"
    reply_link = "https://alerts.example.org/reply.html?token=reply-token-for-alice"
    assert data == {"unsubscribe_url": own_link, "reply_url": reply_link}
    text, page = fill_placeholders(email.text, data), fill_placeholders(email.html, data)
    assert f"Unsubscribe: {own_link}" in text and f"Reply on the web: {reply_link}" in text
    assert f'href="{own_link}"' in page and f'href="{reply_link}"' in page
    assert "{{" not in text and "{{" not in page


def test_each_recipient_gets_their_own_one_click_unsubscribe_headers() -> None:
    _, headers = email_recipient_fields(LINKS, "token-for-alice", "reply-token-for-alice")
    assert headers == {
        "List-Unsubscribe": "<https://api.example.org/v1/unsubscribe?token=token-for-alice>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    _, other = email_recipient_fields(LINKS, "token-for-bob", "reply-token-for-bob")
    assert other["List-Unsubscribe"] != headers["List-Unsubscribe"]


def test_officer_text_never_becomes_a_placeholder() -> None:
    tricky = alert(title="Ring {{x}} now", body="Do not click {{unsubscribe_url}}.\nCode {{x}}.",
                   incident_ref="SP-{{x}}")
    email = email_content(tricky, "en", SENDER, LINKS)
    data, _ = email_recipient_fields(LINKS, "token-for-alice", "reply-token-for-alice")
    own_link = data["unsubscribe_url"]
    for rendered in (email.subject, email.text, email.html, *email.headers.values()):
        filled = fill_placeholders(rendered, {**data, "x": "FILLED"})
        assert "FILLED" not in filled
        assert "{{x}}" not in filled
    assert "{ {x} }" in email.subject
    assert "Do not click { {unsubscribe_url} }." in email.text
    # The resident's own link appears once, in the footer, never where the officer wrote the placeholder.
    assert fill_placeholders(email.text, data).count(own_link) == 1
    assert fill_placeholders(email.html, data).count(own_link) == 1


def test_officer_text_with_triple_braces_leaves_no_braces_pair_in_the_email() -> None:
    email = email_content(alert(title="Code {{{x}}}", body="Quote {{{x}}} when you call."), "en", SENDER, LINKS)
    data, _ = email_recipient_fields(LINKS, "token-for-alice", "reply-token-for-alice")
    for rendered in (email.subject, email.text, email.html):
        filled = fill_placeholders(rendered, data)
        assert "{{" not in filled and "}}" not in filled


def test_email_html_escapes_what_officers_type() -> None:
    email = email_content(alert(title="<b>Alert</b>", body="Beware <script>alert('x')</script> & co"), "en",
                          SENDER, LINKS)
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "&lt;b&gt;Alert&lt;/b&gt;" in email.html
    assert "&amp; co" in email.html
    # The plain text is plain: what the officer typed, unchanged.
    assert "Beware <script>alert('x')</script> & co" in email.text


def test_email_keeps_each_paragraph() -> None:
    email = email_content(alert(body="First paragraph.\n\nSecond paragraph."), "en", SENDER, LINKS)
    assert "<p>First paragraph.</p><p>Second paragraph.</p>" in email.html
    assert "First paragraph.\n\nSecond paragraph." in email.text


def test_machine_translated_email_says_so() -> None:
    translated = alert()
    translated.content["cy"] = Content("Byrgleriaethau ar Mill Lane", "Cofiwch gloi eich drysau heno.",
                                       machine_translated=True)
    note = "This message was translated automatically."
    welsh = email_content(translated, "cy", SENDER, LINKS)
    assert note in welsh.text and note in welsh.html
    assert "Cofiwch gloi eich drysau heno." in welsh.text
    assert 'lang="cy"' in welsh.html
    english = email_content(translated, "en", SENDER, LINKS)
    assert note not in english.text and note not in english.html


def test_reply_to_invites_replies() -> None:
    email = email_content(alert(), "en", SENDER, LINKS, reply_to="alert-01jd@replies.example.org")
    assert email.reply_to == "alert-01jd@replies.example.org"
    assert "Reply to this email" in email.text
    assert "Reply to this email" not in email_content(alert(), "en", SENDER, LINKS).text


# Language --------------------------------------------------------------------------------------------------------


def test_a_resident_reads_their_own_language_when_there_is_one_else_the_written_one() -> None:
    bilingual = alert()
    bilingual.content["cy"] = Content("Byrgleriaethau ar Mill Lane", "Cofiwch gloi eich drysau heno.")
    assert pick_content(bilingual, "cy").title == "Byrgleriaethau ar Mill Lane"
    assert pick_content(bilingual, "en").title == "Burglaries on Mill Lane"
    assert pick_content(bilingual, "pl").title == "Burglaries on Mill Lane"

    assert "Cofiwch gloi eich drysau heno." in sms_text(bilingual, "cy", SENDER, LINKS, MAX_SEGMENTS)
    assert "Cofiwch gloi eich drysau heno." in voice_text(bilingual, "cy", SENDER)
    assert push_text(bilingual, "cy", SENDER)[0] == f"{SENDER}: Byrgleriaethau ar Mill Lane"
    assert "Lock your doors" in sms_text(bilingual, "pl", SENDER, LINKS, MAX_SEGMENTS)


# SMS -------------------------------------------------------------------------------------------------------------


def test_a_short_sms_is_sent_whole() -> None:
    text = sms_text(alert(), "en", SENDER, LINKS, MAX_SEGMENTS)
    assert text == (f"{SENDER}: Burglaries on Mill Lane. Lock your doors and windows tonight. Ref {REF}. Contact "
                    "Phone 101, Email alerts@staffordshire.police.uk, Web https://www.staffordshire.police.uk/appeal.")
    assert FULL_ALERT not in text
    assert segments(text) <= MAX_SEGMENTS


@pytest.mark.parametrize("max_segments", [1, 2, 3])
def test_a_long_sms_is_shortened_with_a_link_to_the_full_alert(max_segments: int) -> None:
    contact_phone_only = {"phone": "101"}
    text = sms_text(alert(body=VERY_LONG_BODY, contact=contact_phone_only), "en", SENDER, LINKS, max_segments)
    assert segments(text) <= max_segments
    assert text.startswith(f"{SENDER}: Burglaries")
    assert text.endswith(f"... https://alerts.example.org/{FULL_ALERT} Ref {REF}. Contact Phone 101.")


def test_a_long_sms_is_cut_between_words() -> None:
    text = sms_text(alert(body=VERY_LONG_BODY), "en", SENDER, LINKS, MAX_SEGMENTS)
    kept = text.partition("...")[0].removeprefix(f"{SENDER}: Burglaries on Mill Lane. ")
    assert VERY_LONG_BODY.startswith(kept)
    assert VERY_LONG_BODY[len(kept)] in " ,."


def test_an_sms_whose_text_alone_fits_still_keeps_the_reference_contact_and_link() -> None:
    full = f"{SENDER}: Burglaries on Mill Lane. {LONG_BODY}"
    assert segments(full) <= MAX_SEGMENTS  # the text alone fits ...
    text = sms_text(alert(body=LONG_BODY), "en", SENDER, LINKS, MAX_SEGMENTS)
    assert segments(text) <= MAX_SEGMENTS
    assert f"Ref {REF}." in text and "Phone 101" in text  # ... but not with the reference and contact
    assert FULL_ALERT in text


def test_a_long_sms_with_full_contact_details_still_fits_three_segments() -> None:
    text = sms_text(alert(body=VERY_LONG_BODY), "en", SENDER, LINKS, MAX_SEGMENTS)
    assert segments(text) <= MAX_SEGMENTS
    assert FULL_ALERT in text
    assert REF in text and "101" in text
    assert "Several homes on Mill Lane" in text


@pytest.mark.parametrize("language, text", [("pl", POLISH_BODY), ("cy", WELSH_BODY)])
def test_a_ucs2_sms_still_fits_three_segments(language: str, text: str) -> None:
    assert encoding(text) == UCS_2
    translated = alert(body=VERY_LONG_BODY)
    translated.content[language] = Content("Włamania" if language == "pl" else "Tŷ wedi'i dorri i mewn", text)
    sms = sms_text(translated, language, SENDER, LINKS, MAX_SEGMENTS)
    assert segments(sms) <= MAX_SEGMENTS
    assert FULL_ALERT in sms
    assert REF in sms and "101" in sms


@pytest.mark.parametrize("language, text", [("pl", POLISH_BODY), ("cy", WELSH_BODY)])
def test_a_ucs2_sms_with_a_phone_contact_keeps_some_of_the_message(language: str, text: str) -> None:
    translated = alert(body=VERY_LONG_BODY, contact={"phone": "101"})
    translated.content[language] = Content("Włamania" if language == "pl" else "Tŷ wedi'i dorri i mewn", text)
    sms = sms_text(translated, language, SENDER, LINKS, MAX_SEGMENTS)
    assert segments(sms) <= MAX_SEGMENTS
    assert text[:20] in sms
    assert sms.endswith(f"{FULL_ALERT} Ref {REF}. Contact Phone 101.")


@pytest.mark.parametrize("language, title, text", [("pl", "Włamania", POLISH_BODY),
                                                   ("cy", "Tŷ wedi'i dorri i mewn", WELSH_BODY)])
def test_a_ucs2_sms_with_full_contact_details_keeps_the_title(language: str, title: str, text: str) -> None:
    translated = alert(body=VERY_LONG_BODY)
    translated.content[language] = Content(title, text)
    assert title in sms_text(translated, language, SENDER, LINKS, MAX_SEGMENTS)


def test_sms_mentions_footage_only_to_footage_recipients() -> None:
    wanted = footage_alert()
    assert "CCTV/dash-cam footage wanted." in sms_text(wanted, "en", SENDER, LINKS, MAX_SEGMENTS, footage=True)
    assert "footage" not in sms_text(wanted, "en", SENDER, LINKS, MAX_SEGMENTS).lower()
    assert "footage" not in sms_text(alert(), "en", SENDER, LINKS, MAX_SEGMENTS, footage=True).lower()


# Voice -----------------------------------------------------------------------------------------------------------


def test_voice_spells_out_the_reference_and_repeats_the_message() -> None:
    spoken = voice_text(alert(), "en", SENDER)
    assert "The incident reference is S P - 2 0 2 6 - 1 2 3 4." in spoken
    assert "To contact us: Phone 101." in spoken
    first, separator, second = spoken.partition(" This message will now repeat. ")
    assert separator
    assert first == second
    assert first.startswith(f"This is a message from {SENDER}. Burglaries on Mill Lane. Lock your doors")
    assert spoken.count("Lock your doors and windows tonight.") == 2


# Push ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Lock your doors and windows tonight.", VERY_LONG_BODY, POLISH_BODY])
def test_push_fits_a_lock_screen_and_ends_with_the_reference_and_contact(text: str) -> None:
    title, push_body = push_text(alert(body=text, contact={"phone": "101"}), "en", SENDER)
    assert title == f"{SENDER}: Burglaries on Mill Lane"
    assert len(push_body) <= 220
    assert push_body.endswith(f" Ref {REF}. Phone 101")


def test_a_long_push_is_cut_at_a_word_with_an_ellipsis() -> None:
    _, push_body = push_text(alert(body=LONG_BODY), "en", SENDER)
    assert len(push_body) <= 220
    shortened, _, tail = push_body.partition(f" Ref {REF}.")
    assert shortened.endswith("…")
    assert LONG_BODY.startswith(shortened[:-1])
    assert LONG_BODY[len(shortened) - 1] == " "  # cut between words
    assert "Phone 101" in tail


def test_a_short_push_is_whole() -> None:
    _, push_body = push_text(alert(), "en", SENDER)
    assert push_body.startswith("Lock your doors and windows tonight. Ref SP-2026-1234.")


# Footage request -------------------------------------------------------------------------------------------------


def test_footage_request_appears_only_when_asked_for_and_in_london_time() -> None:
    wanted = footage_alert()
    summer = "from 13 July 2026, 22:00 BST to 14 July 2026, 00:30 BST"
    email = email_content(wanted, "en", SENDER, LINKS, footage=True)
    assert summer in email.text and summer in email.html
    assert f"please contact us quoting {REF}. Upload it at the force" in email.text
    assert summer in voice_text(wanted, "en", SENDER, footage=True)

    plain = email_content(wanted, "en", SENDER, LINKS)
    assert "Footage request" not in plain.text and "Footage request" not in plain.html
    assert "Footage request" not in voice_text(wanted, "en", SENDER)
    # No request on the alert: nothing to add, whoever the recipient.
    assert "Footage request" not in email_content(alert(), "en", SENDER, LINKS, footage=True).text


def test_footage_request_in_winter_shows_gmt() -> None:
    winter = alert(footage_request={"from": "2026-01-10T18:00:00Z", "to": "2026-01-10T19:15:00Z"})
    text = email_content(winter, "en", SENDER, LINKS, footage=True).text
    assert "from 10 January 2026, 18:00 GMT to 10 January 2026, 19:15 GMT, please contact us quoting" in text


def test_pasted_curly_quotes_dashes_and_ellipses_do_not_make_an_sms_ucs2() -> None:
    typed = "Lock \u201cboth\u201d doors \u2013 front and back\u2026 Don\u2019t leave keys out."
    text = sms_text(alert(body=typed), "en", SENDER, LINKS, MAX_SEGMENTS)
    assert encoding(text) != UCS_2 and segments(text) == 2  # as UCS-2 the same words would take four parts
    assert 'Lock "both" doors - front and back... Don\'t leave keys out.' in text


def test_welsh_letters_are_kept_as_written_and_the_text_goes_as_ucs2() -> None:
    typed = "Cofiwch gloi\u2019r drysau \u2013 mae\u2019n bwysig: dŵr a tân."
    text = sms_text(alert(title="Lladradau ar Heol y Felin", body=typed, contact={"phone": "101"}), "en", SENDER,
                    LINKS, MAX_SEGMENTS)
    assert "dŵr" in text and "tân" in text and "gloi'r drysau - mae'n" in text
    assert encoding(text) == UCS_2
