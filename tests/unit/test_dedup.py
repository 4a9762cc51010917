"""When two alerts are the same appeal (domain/dedup.py), without AWS: the folding of words, the trigram similarity
against its threshold, the shared reference, the overlap of areas and the window, and who counts as another
sender."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.domain.alerts import Alert, Content, Source, Status
from chalicelib.domain.coverage import Area, Circle
from chalicelib.domain.dedup import (
    DedupSettings,
    jaccard,
    normalised_words,
    overlap,
    same_appeal,
    trigrams,
)

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
STAFFORD = Circle(52.8066, -2.1167, 1000)
NEARBY = Circle(52.8156, -2.1167, 500)  # 1 km north: the two overlap
LEEK = Circle(53.1050, -2.0230, 1000)
SETTINGS = DedupSettings()
TEXT = ("Witness appeal after a burglary on Mill Lane on Monday night. Anyone with doorbell or dashcam footage is "
        "asked to contact us quoting the reference.")


def alert(alert_id: str, text: str = TEXT, ref: str = "SP-2026-1234", sender: str = "police",
          at: datetime = NOW, kind: str = "alert") -> Alert:
    source = Source("officer", "staffordshire", "officer-sub") if sender == "police" else \
        Source("partner", "staffordshire", f"partner:{sender}", "key", "council", "Council")
    return Alert(id=alert_id, type=kind, references=[], status=Status.SENT, category="crime", priority="high",
                 incident_ref=ref, contact={"phone": "101"}, target={"type": "circle"}, channels=["email"],
                 groups=[], business_sectors=[], content={"en": Content("Burglary appeal", text)}, source=source,
                 created_at=at)


def test_words_are_folded_for_case_whitespace_punctuation_and_accents() -> None:
    folded = normalised_words("Appeal:  WITNESSES!\n Caf\u00e9\u2019s CCTV...")  # an accent, a curly apostrophe
    assert folded == ["appeal", "witnesses", "cafe", "s", "cctv"]
    assert trigrams("A b, c. D") == trigrams("a B c d")
    assert jaccard(trigrams(TEXT), trigrams(TEXT.upper().replace(".", "!"))) == 1.0


def test_the_same_reference_from_another_sender_over_overlapping_areas_is_the_same_appeal() -> None:
    earlier = alert("01A", sender="police")
    council = alert("01B", text="Something worded quite differently by the council.", sender="stafford-council")
    assert same_appeal(council, earlier, NEARBY, STAFFORD, SETTINGS)
    assert same_appeal(replace(council, incident_ref="sp 2026 1234"), earlier, NEARBY, STAFFORD, SETTINGS)
    # Not across the force, not weeks later, and never from the same sender.
    assert not same_appeal(council, earlier, LEEK, STAFFORD, SETTINGS)
    assert not same_appeal(replace(council, created_at=NOW + timedelta(days=4)), earlier, NEARBY, STAFFORD, SETTINGS)
    assert not same_appeal(alert("01C", sender="police"), earlier, NEARBY, STAFFORD, SETTINGS)


def test_similar_words_count_only_at_the_threshold_with_overlap_and_within_the_window() -> None:
    earlier = alert("01A", ref="SP-2026-1")
    reworded = alert("01B", ref="SBC-77", sender="stafford-council",
                     text=TEXT.replace("Monday night", "Monday evening"))
    score = jaccard(trigrams(f"Burglary appeal {reworded.content['en'].body}"),
                    trigrams(f"Burglary appeal {earlier.content['en'].body}"))
    assert 0.7 < score < 0.8
    assert not same_appeal(reworded, earlier, NEARBY, STAFFORD, SETTINGS)
    assert same_appeal(reworded, earlier, NEARBY, STAFFORD, DedupSettings(threshold=0.7))
    copied = alert("01C", ref="SBC-78", sender="stafford-council", text=TEXT + " Thank you.")
    assert same_appeal(copied, earlier, NEARBY, STAFFORD, SETTINGS)
    assert not same_appeal(copied, earlier, LEEK, STAFFORD, SETTINGS)
    assert not same_appeal(replace(copied, created_at=NOW + timedelta(hours=73)), earlier, NEARBY, STAFFORD,
                           SETTINGS)
    assert same_appeal(replace(copied, created_at=NOW + timedelta(hours=71)), earlier, NEARBY, STAFFORD, SETTINGS)


def test_updates_and_cancels_follow_their_alert_on_purpose() -> None:
    earlier = alert("01A")
    update = alert("01B", sender="stafford-council", kind="update")
    assert not same_appeal(update, earlier, NEARBY, STAFFORD, SETTINGS)


def test_areas_overlap_in_metres_for_circles_and_polygons() -> None:
    square = Area.from_geojson({"type": "Polygon", "coordinates": [[
        [-2.12, 52.80], [-2.11, 52.80], [-2.11, 52.81], [-2.12, 52.81], [-2.12, 52.80]]]})
    assert overlap(STAFFORD, square) and overlap(square, STAFFORD)
    assert not overlap(square, LEEK)
    assert overlap(Circle(52.0, -2.0, 600), Circle(52.0100, -2.0, 600))  # centres 1.1 km apart
    assert not overlap(Circle(52.0, -2.0, 500), Circle(52.0100, -2.0, 500))


def test_two_copies_sent_at_the_same_moment_link_one_way_only() -> None:
    """Were each linked to the other, each would leave out the other's residents, and they would get neither."""
    from chalicelib.services.pipeline.duplicates import Duplicates

    police, council = alert("01A"), alert("01B", sender="stafford-council")

    class Recent:
        def sent_since(self, organisation: str, created_after: float) -> list[Alert]:
            return [police, council]

    class Plans:
        def freeze(self, alert_id: str, target: object, expires_at: int | None = None) -> None: ...

        def target(self, alert_id: str) -> Circle:
            return STAFFORD if alert_id == "01A" else NEARBY

    class Contacts:
        def reaches_contact(self, contact: str, alert_id: str) -> bool:
            return False

    duplicates = Duplicates(Recent(), Plans(), Contacts(), SETTINGS, lambda: NOW.timestamp())
    assert duplicates.earlier(council, NEARBY) == ["01A"]
    assert duplicates.earlier(police, STAFFORD) == []
