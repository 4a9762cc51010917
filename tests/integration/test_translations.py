"""Alerts in residents' languages against the emulator: the translations table claims each text and language once,
Amazon Translate's requests (through Stubber: the emulator has none) keep the alert's named areas out of translation,
and on the local stack, which has no Translate, a Welsh resident gets the original with a Welsh note on every channel
while the officer's preview shows the same."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.adapters.translations import AmazonTranslator, TranslationCache, cache_key
from chalicelib.domain.alerts import Source, new_alert
from chalicelib.domain.translation import FALLBACK_NOTES, VOICE_IN_ENGLISH_NOTE, PlaceNames
from chalicelib.services.targets import TargetResolver
from chalicelib.services.translations import CLAIM_STALE_SECONDS, RETRY_FAILED, Translations

from .alert_helpers import STAFFORD, AlertStack, alert_body, offset, serving_alert_stack


@pytest.fixture
def stack(emulator, fresh_stack) -> Iterator[AlertStack]:  # type: ignore[no-untyped-def]
    yield from serving_alert_stack(emulator, fresh_stack)


def test_the_translations_table_lets_one_worker_translate_and_takes_over_a_dead_ones_claim(stack: AlertStack) -> None:
    cache = TranslationCache()
    key = cache_key("en", "cy", "Burglaries in [[0]]", "Sheds were broken into.")
    assert cache.get(key) is None
    assert cache.claim(key, 1000.0, CLAIM_STALE_SECONDS, RETRY_FAILED) is True
    assert cache.claim(key, 1001.0, CLAIM_STALE_SECONDS, RETRY_FAILED) is False  # another worker waits
    assert cache.claim(key, 1000.0 + CLAIM_STALE_SECONDS + 1, CLAIM_STALE_SECONDS, RETRY_FAILED)  # the first died
    cache.fail(key, 1040.0, "ThrottlingException")
    assert cache.claim(key, 1100.0, CLAIM_STALE_SECONDS, RETRY_FAILED) is False  # a fresh failure stands
    assert cache.claim(key, 1041.0 + RETRY_FAILED, CLAIM_STALE_SECONDS, RETRY_FAILED) is True  # then it is tried again
    cache.finish(key, 5000.0, "Lladradau yn [[0]]", "Torrwyd i mewn i siediau.")
    found = cache.get(key)
    assert found is not None and found.status == "done" and found.title == "Lladradau yn [[0]]"
    assert cache.claim(key, 99999.0, CLAIM_STALE_SECONDS, RETRY_FAILED) is False  # done is done


def test_a_named_area_is_kept_out_of_translation_and_the_words_are_asked_for_once(stack: AlertStack) -> None:
    resolver = TargetResolver()
    (area_id, name), *_ = resolver.area_names("staffordshire", ["stafford", "leek", "stone"]).items()
    alert = new_alert("01TRANSLATEINTEGRATION0000", alert_body(
        title=f"Burglaries in {name}", body=f"Sheds across {name} were broken into overnight. Lock them.",
        target={"type": "areas", "area_ids": [area_id]}), Source("officer", "staffordshire", "u1"), datetime.now(UTC))
    client = boto3.client("translate", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    translations = Translations(AmazonTranslator(client), TranslationCache(), PlaceNames([]), cache_key,
                                area_names=resolver.area_names)
    with Stubber(client) as stub:
        stub.add_response("translate_text", {"TranslatedText": "Lladradau yn [[0]]", "SourceLanguageCode": "en",
                                             "TargetLanguageCode": "cy"},
                          {"Text": "Burglaries in [[0]]", "SourceLanguageCode": "en", "TargetLanguageCode": "cy"})
        stub.add_response("translate_text", {"TranslatedText": "Torrwyd i mewn i siediau ar draws [[0]] dros nos. "
                                                               "Clowch nhw.", "SourceLanguageCode": "en",
                                             "TargetLanguageCode": "cy"},
                          {"Text": ANY, "SourceLanguageCode": "en", "TargetLanguageCode": "cy"})
        first = translations.content_for(alert, "cy")
        again = Translations(AmazonTranslator(client), TranslationCache(), PlaceNames([]), cache_key,
                             area_names=resolver.area_names).content_for(alert, "cy")  # another worker: the table
        stub.assert_no_pending_responses()
    assert first == again and first.title == f"Lladradau yn {name}" and name in first.body


def test_without_translate_a_welsh_resident_gets_the_original_with_a_welsh_note_on_every_channel(
        stack: AlertStack) -> None:
    welsh = stack.resident(*offset(*STAFFORD, 30, 30), ["email", "sms", "voice"], language="cy")
    english = stack.resident(*offset(*STAFFORD, -30, 30), ["email"])
    alert = stack.create(channels=["email", "sms", "voice"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send").status_code == 200
    stack.pump()
    received = stack.outbox_for([welsh, english])
    email, sms, call = (received[welsh.id][channel][0] for channel in ("email", "sms", "voice"))
    assert FALLBACK_NOTES["cy"] in email["text"] and alert["body"][:40] in email["text"]
    assert '<html lang="en">' in email["html"]  # the words sent are English, and the page says so
    assert FALLBACK_NOTES["cy"][:30] in sms["text"]
    # Read by the English voice, saying why it is in English, and not reading the Welsh note in an English accent.
    assert call["text"].count(VOICE_IN_ENGLISH_NOTE) == 2 and FALLBACK_NOTES["cy"] not in call["text"]
    assert call["headers"]["language"] == "en"
    assert FALLBACK_NOTES["cy"] not in received[english.id]["email"][0]["text"]


def test_the_preview_shows_what_each_language_will_read(stack: AlertStack) -> None:
    for n in range(5):
        stack.resident(*offset(*STAFFORD, 10 * n, -40), ["email"], language="cy")
    for n in range(5):
        stack.resident(*offset(*STAFFORD, 10 * n, 40), ["email"])
    preview = json.loads(stack.call("POST", "/v1/alerts/preview", body=alert_body(channels=["email"])).body)
    assert preview["by_language"]["cy"] >= 5
    welsh = preview["translations"]["cy"]
    assert welsh["untranslated"] is True and welsh["body"].startswith(FALLBACK_NOTES["cy"])
    assert "en" not in preview["translations"]

    own = alert_body(channels=["email"], translations={"cy": {"title": "Lladradau yng nghanol tref Stafford",
                                                              "body": "Torrwyd i mewn i sawl cartref dros nos."}})
    corrected = json.loads(stack.call("POST", "/v1/alerts/preview", body=own).body)
    assert corrected["translations"]["cy"] == {"title": "Lladradau yng nghanol tref Stafford",
                                               "body": "Torrwyd i mewn i sawl cartref dros nos.",
                                               "machine_translated": False, "untranslated": False}
