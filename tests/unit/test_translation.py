"""Machine translation of alerts: what must survive it (references, addresses, numbers, place names), the exact
Amazon Translate requests (Stubber), one translation per text and language however many workers ask at once, and
the original with a note in the resident's language whenever no translation can be had. No AWS."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from chalicelib.adapters.translations import AmazonTranslator, CachedTranslation, NoMachineTranslation, cache_key
from chalicelib.domain.alert_messages import AlertLinks, email_content, sms_text
from chalicelib.domain.alerts import Alert, Source, new_alert
from chalicelib.domain.sms import UCS_2, encoding
from chalicelib.domain.translation import (
    FALLBACK_NOTES,
    PlaceNames,
    protect,
    restore,
    translate_code,
)
from chalicelib.services.pipeline.render import spoken
from chalicelib.services.translations import Translations

TOWNS = PlaceNames(["Stone", "Leek", "Stafford", "Newcastle-under-Lyme", "st"])
LINKS = AlertLinks("https://alerts.example.org", "https://api.example.org")
TITLE = "Burglaries in Stone"
BODY = ("Sheds in Stone and Leek were broken into. See https://www.staffordshire.police.uk/appeal or call "
        "01785 257111 quoting SP/2026/4411. A stone was thrown through a window.")


def alert(**changes: Any) -> Alert:
    body: dict[str, Any] = {"title": TITLE, "body": BODY, "category": "crime", "priority": "high",
                            "incident_ref": "SP/2026/4411", "contact": {"phone": "101", "email": "appeals@police.uk"},
                            "target": {"type": "areas", "area_ids": ["leek-moorlands"]},
                            "channels": ["email", "sms", "voice"], **changes}
    return new_alert("01TRANSLATE000000000000000", body, Source("officer", "staffordshire", "u1"),
                     datetime(2027, 1, 15, 9, 0, tzinfo=UTC))


class MemoryCache:
    def __init__(self) -> None:
        self.items: dict[str, CachedTranslation] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> CachedTranslation | None:
        return self.items.get(key)

    def claim(self, key: str, now: float, stale_after: float, retry_failed_after: float) -> bool:
        with self.lock:
            found = self.items.get(key)
            if found is None or (found.status == "pending" and found.claimed_at < now - stale_after) or (
                    found.status == "failed" and found.claimed_at < now - retry_failed_after):
                self.items[key] = CachedTranslation("pending", now)
                return True
            return False

    def finish(self, key: str, now: float, title: str, body: str) -> None:
        self.items[key] = CachedTranslation("done", now, title, body)

    def fail(self, key: str, now: float, reason: str) -> None:
        self.items[key] = CachedTranslation("failed", now)


def translate_client():  # type: ignore[no-untyped-def]
    return boto3.client("translate", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def service(translator: Any, cache: MemoryCache | None = None) -> Translations:
    return Translations(translator, cache or MemoryCache(), TOWNS, cache_key, sleep=lambda _: time.sleep(0.01),
                        area_names=lambda _org, ids: {"leek-moorlands": "Leek Moorlands"})


def test_references_addresses_numbers_and_place_names_are_kept_out_of_translation() -> None:
    protected = protect(BODY, ["SP/2026/4411", "101", "Leek Moorlands"], TOWNS)
    assert protected.originals == ("Stone", "Leek", "https://www.staffordshire.police.uk/appeal", "01785 257111",
                                   "SP/2026/4411")
    assert "A stone was thrown" in protected.text  # the word, not the town, is translated
    assert "[[0]]" in protected.text and "Stone" not in protected.text and "01785" not in protected.text
    moved = "Cafodd siediau yn [[0]] a [[1]] eu torri. Gweler [[2]] neu ffoniwch [[3]] gan nodi [[4]]."
    assert restore(moved, protected) == ("Cafodd siediau yn Stone a Leek eu torri. Gweler "
                                         "https://www.staffordshire.police.uk/appeal neu ffoniwch 01785 257111 gan "
                                         "nodi SP/2026/4411.")
    assert restore("[[0]] [[1]] [[2]] [[3]]", protected) is None  # one lost
    assert restore("[[0]] [[1]] [[2]] [[3]] [[4]] [[4]]", protected) is None  # one repeated
    assert restore("[[0]] [[1]] [[2]] [[3]] [[4]] [[5]]", protected) is None  # one made up
    assert protect("Meet at Newcastle-under-Lyme library", [], TOWNS).originals == ("Newcastle-under-Lyme",)


def test_languages_translate_can_write_and_those_it_cannot() -> None:
    assert translate_code("cy") == "cy" and translate_code("cy-GB") == "cy" and translate_code("pa") == "pa"
    assert translate_code("pt-PT") == "pt-PT" and translate_code("zh-TW") == "zh-TW"
    assert translate_code("pa-Arab") is None  # Shahmukhi is not the Gurmukhi Translate writes
    assert translate_code("xx") is None


def test_welsh_is_asked_for_once_with_placeholders_and_the_names_come_back_as_written() -> None:
    client = translate_client()
    the_alert = alert()
    with Stubber(client) as stub:
        stub.add_response("translate_text", {"TranslatedText": "Lladradau yn [[0]]", "SourceLanguageCode": "en",
                                             "TargetLanguageCode": "cy"},
                          {"Text": "Burglaries in [[0]]", "SourceLanguageCode": "en", "TargetLanguageCode": "cy"})
        stub.add_response("translate_text", {
            "TranslatedText": "Torrwyd i mewn i siediau yn [[0]] a [[1]]. Gweler [[2]] neu ffoniwch [[3]] gan nodi "
                              "[[4]]. Taflwyd carreg drwy ffenestr.",
            "SourceLanguageCode": "en", "TargetLanguageCode": "cy"},
                          {"Text": "Sheds in [[0]] and [[1]] were broken into. See [[2]] or call [[3]] quoting [[4]]. "
                                   "A stone was thrown through a window.",
                           "SourceLanguageCode": "en", "TargetLanguageCode": "cy"})
        translations = service(AmazonTranslator(client))
        welsh = translations.content_for(the_alert, "cy")
        again = translations.content_for(the_alert, "cy-GB")  # the same language: no second request
        stub.assert_no_pending_responses()
    assert welsh == again
    assert welsh.title == "Lladradau yn Stone" and welsh.machine_translated
    for kept in ("Stone", "Leek", "https://www.staffordshire.police.uk/appeal", "01785 257111", "SP/2026/4411"):
        assert kept in welsh.body


def test_many_workers_asking_at_once_make_one_translation() -> None:
    calls: list[str] = []

    class Slow:
        def translate(self, text: str, source: str, target: str) -> str:
            calls.append(text)
            time.sleep(0.2)
            return text.replace("Burglaries in", "Lladradau yn")

    translations = service(Slow())
    results: list[Any] = []
    workers = [threading.Thread(target=lambda: results.append(translations.content_for(alert(), "cy")))
               for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(calls) == 2  # the title and the body, once
    assert {r.title for r in results} == {"Lladradau yn Stone"}


def test_without_a_translation_the_resident_gets_the_original_with_a_note_in_their_language() -> None:
    client = translate_client()
    with Stubber(client) as stub:
        stub.add_client_error("translate_text", "ServiceUnavailableException", http_status_code=503)
        refused = service(AmazonTranslator(client)).content_for(alert(), "cy")
    local = service(NoMachineTranslation()).content_for(alert(), "pl")
    unknown = service(NoMachineTranslation()).content_for(alert(), "pa-Arab")
    assert refused.body == f"{FALLBACK_NOTES['cy']}\n{BODY}" and refused.written_in == "en"
    assert not refused.machine_translated and refused.title == TITLE
    assert local.body.startswith(FALLBACK_NOTES["pl"]) and unknown.body.startswith(FALLBACK_NOTES["pa"])


def test_an_officers_own_translation_is_used_as_written() -> None:
    the_alert = alert(translations={"cy": {"title": "Lladradau yn Stone", "body": "Geiriau'r swyddog ei hun."}})
    assert service(NoMachineTranslation()).content_for(the_alert, "cy").body == "Geiriau'r swyddog ei hun."


def test_the_email_says_which_language_it_is_in_and_welsh_sms_keep_their_letters() -> None:
    the_alert = alert(translations={"cy": {"title": "Rhybudd: dŵr ar y ffordd",
                                           "body": "Mae dŵr ar y ffordd ger y bont. Gyrrwch yn ofalus."}})
    assert '<html lang="cy">' in email_content(the_alert, "cy", "Heddlu", LINKS).html
    fallback = service(NoMachineTranslation()).content_for(alert(), "cy")
    noted = alert()
    noted.content["cy"] = fallback
    assert '<html lang="en">' in email_content(noted, "cy", "Heddlu", LINKS).html  # the words sent are English
    text = sms_text(the_alert, "cy", "Heddlu", LINKS, 3)
    assert "dŵr" in text and encoding(text) == UCS_2


def test_a_call_reads_welsh_in_welsh_and_otherwise_the_english_original_saying_so() -> None:
    welsh = alert(translations={"cy": {"title": "Lladradau", "body": "Torrwyd i mewn i siediau."}})
    assert spoken(welsh, "cy")[1] == "cy"
    urdu = alert()
    urdu.content["ur"] = service(NoMachineTranslation()).content_for(alert(), "ur")
    read, voice_language = spoken(urdu, "ur")
    assert voice_language == "en"
    assert read.content["en"].body.startswith("This message is read in English")
