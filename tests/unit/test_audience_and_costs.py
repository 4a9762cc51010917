"""Who receives an alert, what sending it costs, and when a costly send waits for a supervisor."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.alerts import (
    TRANSITIONS,
    Alert,
    Content,
    Source,
    Status,
    from_document,
    needs_supervisor,
    new_alert,
    to_document,
    view,
)
from chalicelib.domain.audience import (
    LEDGER_BUCKETS,
    Audience,
    Filters,
    Recipient,
    bucket_of,
    channel_of,
    ledger_key,
    places_attributes,
    resident_of,
)
from chalicelib.domain.costs import Estimate, SendLimits, call_minutes, estimate, is_costly
from chalicelib.domain.errors import HexwatchError

NOW = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)
CENTRE = (52.8060, -2.1160)  # Stafford
ALL_CHANNELS = ["email", "sms", "voice", "push"]


def alert_body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Burglaries on Mill Lane", "body": "Lock your doors and windows tonight.", "category": "crime",
        "priority": "high", "incident_ref": "SP-2026-1234",
        "contact": {"phone": "101", "email": "alerts@staffordshire.police.uk",
                    "url": "https://www.staffordshire.police.uk/appeal"},
        "target": {"type": "organisation"}, "channels": ALL_CHANNELS,
    }
    return {**base, **changes}


def location(resident_id: str, *, channels: tuple[str, ...] = ("email", "sms"),
             categories: tuple[str, ...] = ("crime",), groups: tuple[str, ...] = (), sectors: tuple[str, ...] = (),
             language: str = "en", lat: float = CENTRE[0], lng: float = CENTRE[1]) -> dict[str, Any]:
    return {"resident_id": resident_id, "channels": list(channels), "categories": list(categories),
            "groups": list(groups), "business_sectors": list(sectors), "language": language, "lat": lat, "lng": lng}


def audience(filters: Filters, *items: dict[str, Any]) -> Audience:
    gathered = Audience()
    for item in items:
        gathered.add_location(filters, item)
    return gathered


def channels_of(gathered: Audience, resident_id: str) -> set[str]:
    return {r.channel for r in gathered.recipients.values() if r.resident_id == resident_id}


# Filters ---------------------------------------------------------------------------------------------------------


def test_only_residents_who_chose_the_category_receive_it() -> None:
    filters = Filters.of(alert_body())
    gathered = audience(filters, location("crime-fan"), location("roads-only", categories=("roads",)),
                        location("both", categories=("roads", "crime")), location("none", categories=()))
    assert {r.resident_id for r in gathered.recipients.values()} == {"crime-fan", "both"}


def test_groups_filter_needs_any_shared_group() -> None:
    filters = Filters.of(alert_body(groups=["neighbourhood_watch", "farm_watch"]))
    gathered = audience(filters, location("watcher", groups=("neighbourhood_watch",)),
                        location("farmer", groups=("farm_watch", "cctv")), location("shop", groups=("business",)),
                        location("nobody"))
    assert gathered.residents() == 2
    assert channels_of(gathered, "watcher") and channels_of(gathered, "farmer")
    assert not channels_of(gathered, "shop") and not channels_of(gathered, "nobody")


def test_no_groups_means_everyone_who_chose_the_category() -> None:
    gathered = audience(Filters.of(alert_body(groups=[])), location("a", groups=("business",)), location("b"))
    assert gathered.residents() == 2


def test_business_sector_filter() -> None:
    filters = Filters.of(alert_body(business_sectors=["retail", "hospitality"]))
    gathered = audience(filters, location("shop", sectors=("retail",)), location("pub", sectors=("hospitality",)),
                        location("farm", sectors=("agriculture",)), location("home"))
    assert {r.resident_id for r in gathered.recipients.values()} == {"shop", "pub"}


def test_a_resident_receives_only_the_channels_both_they_and_the_alert_have() -> None:
    filters = Filters.of(alert_body(channels=["email", "voice"]))
    gathered = audience(filters, location("r1", channels=("email", "sms", "push")),
                        location("r2", channels=("sms", "voice", "email")), location("r3", channels=("sms", "push")))
    assert channels_of(gathered, "r1") == {"email"}
    assert channels_of(gathered, "r2") == {"email", "voice"}
    assert channels_of(gathered, "r3") == set()
    assert gathered.by_channel() == {"email": 2, "voice": 1}
    assert gathered.residents() == 2


# Counting --------------------------------------------------------------------------------------------------------


def test_a_resident_with_two_locations_counts_once_per_channel() -> None:
    filters = Filters.of(alert_body())
    home = location("r1", channels=("email", "sms"), lat=52.806, lng=-2.116)
    work = location("r1", channels=("email", "sms"), lat=52.810, lng=-2.120)
    gathered = audience(filters, home, work, location("r2", channels=("email",)))
    assert gathered.residents() == 2
    assert gathered.by_channel() == {"email": 2, "sms": 1}
    assert len(gathered.recipients) == 3


def test_extend_matches_adding_one_location_at_a_time() -> None:
    filters = Filters.of(alert_body())
    items = [location("r1"), location("r1", lat=52.81), location("r2", channels=("push",)), location("r3")]
    extended = Audience()
    extended.extend(filters, items)
    assert extended == audience(filters, *items)


def test_languages_count_residents_not_messages() -> None:
    filters = Filters.of(alert_body())
    gathered = audience(filters, location("r1", channels=("email", "sms", "voice"), language="cy"),
                        location("r1", channels=("email", "sms"), language="cy", lat=52.81),
                        location("r2", channels=("email",), language="pl"),
                        location("r3", channels=("sms", "push"), language="en"),
                        location("r4", channels=("email",)))
    assert gathered.by_language() == {"cy": 1, "en": 2, "pl": 1}
    assert sum(gathered.by_language().values()) == gathered.residents()


def test_a_location_without_a_language_reads_english() -> None:
    item = location("r1")
    del item["language"]
    gathered = audience(Filters.of(alert_body()), item)
    assert {r.language for r in gathered.recipients.values()} == {"en"}


# Footage request -------------------------------------------------------------------------------------------------


def footage_filters(radius_m: float | None = 300) -> Filters:
    request: dict[str, Any] = {"from": "2026-07-13T21:00:00Z", "to": "2026-07-13T23:30:00Z"}
    if radius_m is not None:
        request["radius_m"] = radius_m
    return Filters.of(alert_body(footage_request=request), footage_center=CENTRE)


def footage_of(filters: Filters, item: dict[str, Any]) -> set[bool]:
    return {r.footage for r in audience(filters, item).recipients.values()}


def test_only_cctv_operators_inside_the_footage_radius_get_the_footage_request() -> None:
    filters = footage_filters(radius_m=300)
    assert footage_of(filters, location("camera-near", groups=("cctv",))) == {True}
    # About 200 m north: inside 300 m.
    assert footage_of(filters, location("camera-200m", groups=("cctv",), lat=CENTRE[0] + 0.0018)) == {True}
    # About 1 km north: outside.
    assert footage_of(filters, location("camera-far", groups=("cctv",), lat=CENTRE[0] + 0.009)) == {False}
    assert footage_of(filters, location("no-camera")) == {False}
    assert footage_of(filters, location("watcher", groups=("neighbourhood_watch",))) == {False}


def test_footage_radius_defaults_to_500_metres() -> None:
    filters = footage_filters(radius_m=None)
    assert footage_of(filters, location("camera-400m", groups=("cctv",), lat=CENTRE[0] + 0.0036)) == {True}
    assert footage_of(filters, location("camera-700m", groups=("cctv",), lat=CENTRE[0] + 0.0063)) == {False}


def test_no_footage_without_a_request_or_a_centre() -> None:
    camera = location("camera", groups=("cctv",))
    assert footage_of(Filters.of(alert_body()), camera) == {False}
    no_centre = Filters.of(alert_body(footage_request={"from": "2026-07-13T21:00:00Z", "to": "2026-07-13T23:30:00Z"}))
    assert footage_of(no_centre, camera) == {False}


def test_a_camera_at_any_of_a_residents_locations_marks_them_for_footage() -> None:
    filters = footage_filters(radius_m=300)
    far = location("r1", groups=("cctv",), lat=CENTRE[0] + 0.009)
    near = location("r1", groups=("cctv",))
    for order in ((far, near), (near, far)):
        gathered = audience(filters, *order)
        assert {r.footage for r in gathered.recipients.values()} == {True}
        assert gathered.by_channel() == {"email": 1, "sms": 1}


# Ledger keys -----------------------------------------------------------------------------------------------------


def test_ledger_key_format_is_stable_and_invertible() -> None:
    resident = "01JD0000000000000000000001"
    key = ledger_key("sms", resident)
    assert re.fullmatch(rf"sms#[0-9a-f]{{2}}#{resident}", key)
    assert key == ledger_key("sms", resident)
    assert key.split("#")[1] == bucket_of(resident)
    assert ledger_key("email", resident).split("#")[1] == bucket_of(resident)  # one bucket per resident
    assert resident_of(key) == resident
    assert channel_of(key) == "sms"
    assert Recipient(resident, "sms", "en").key == key


def test_ledger_buckets_spread_over_all_sixteen_values() -> None:
    buckets = [bucket_of(f"01JD{i:022d}") for i in range(2000)]
    assert set(buckets) == {f"{i:02x}" for i in range(LEDGER_BUCKETS)}
    counts = [buckets.count(b) for b in set(buckets)]
    assert min(counts) > 2000 / LEDGER_BUCKETS / 2  # roughly even, not all in a few


# Costs -----------------------------------------------------------------------------------------------------------


def test_estimate_prices_sms_per_segment_and_voice_per_minute() -> None:
    limits = SendLimits()
    cost = estimate({"email": 5000, "push": 300, "sms": 200, "voice": 10}, 2, 3, limits)
    assert cost.sms_messages == 200 and cost.voice_calls == 10
    assert cost.sms_pence == pytest.approx(200 * 2 * 3.5)  # 1400
    assert cost.voice_pence == pytest.approx(10 * 3 * 1.5)  # 45
    assert cost.total_pence == pytest.approx(1445)
    assert cost.as_json() == {"sms": {"messages": 200, "segments_each": 2, "cost_gbp": 14.0},
                              "voice": {"calls": 10, "minutes_each": 3, "cost_gbp": 0.45},
                              "total_cost_gbp": 14.45}


def test_email_and_push_alone_cost_nothing() -> None:
    cost = estimate({"email": 100_000, "push": 5000}, 1, 1, SendLimits())
    assert cost.total_pence == 0
    assert not is_costly(cost, SendLimits())


def sized(sms: int = 0, voice: int = 0, sms_pence: float = 0, voice_pence: float = 0) -> Estimate:
    return Estimate(sms, 1, voice, 1, sms_pence, voice_pence)


@pytest.mark.parametrize("cost, costly", [
    (sized(sms=10), False),
    (sized(sms=10, voice=5, sms_pence=999), False),
    (sized(sms=11), True),  # max_sms
    (sized(voice=6), True),  # max_voice
    (sized(sms_pence=600, voice_pence=401), True),  # max_cost_pence, summed over channels
    (sized(sms_pence=600, voice_pence=400), False),
], ids=["few-sms", "at-every-limit", "too-many-sms", "too-many-calls", "too-dear", "exactly-the-budget"])
def test_is_costly_by_each_limit(cost: Estimate, costly: bool) -> None:
    limits = SendLimits(max_sms=10, max_voice=5, max_cost_pence=1000)
    assert is_costly(cost, limits) is costly


def test_cost_limit_alone_makes_a_send_costly() -> None:
    limits = SendLimits(max_sms=10_000, max_voice=10_000, max_cost_pence=5000)
    cost = estimate({"sms": 800}, 3, 1, limits)  # 800 * 3 * 3.5 = 8400p
    assert cost.sms_messages < limits.max_sms
    assert is_costly(cost, limits)


def test_send_limits_from_configuration_ignore_unknown_keys() -> None:
    limits = SendLimits.from_mapping({"max_sms": 250, "sms_segment_pence": 4.2, "currency": "EUR", "max_emails": 1})
    assert limits == SendLimits(max_sms=250, sms_segment_pence=4.2)
    assert limits.max_voice == SendLimits().max_voice
    assert SendLimits.from_mapping({}) == SendLimits()


@pytest.mark.parametrize("words, minutes", [(0, 1), (1, 1), (150, 1), (151, 2), (300, 2), (301, 3)])
def test_call_minutes_round_up_to_started_minutes(words: int, minutes: int) -> None:
    assert call_minutes(" ".join(["word"] * words), SendLimits()) == minutes


def test_call_minutes_follow_the_configured_pace() -> None:
    assert call_minutes(" ".join(["word"] * 150), SendLimits(voice_words_per_minute=100)) == 2


# Alerts ----------------------------------------------------------------------------------------------------------


def full_alert() -> Alert:
    body = alert_body(send_at="2026-07-14T18:00:00+01:00", expires_at="2026-07-15T09:00:00Z", groups=["cctv"],
                      business_sectors=["retail"], footage_request={"from": "2026-07-13T21:00:00Z",
                                                                    "to": "2026-07-13T23:30:00Z", "radius_m": 400})
    made = new_alert("01JD0000000000000000000000", body, Source("officer", "staffordshire", "u1"), NOW)
    made.content["cy"] = Content("Byrgleriaethau", "Cofiwch gloi eich drysau.", machine_translated=True)
    made.move(Status.SENDING, "u1", NOW)
    made.sent_by, made.sent_by_role = "u1", "officer"
    return made


def test_an_alert_survives_storage_unchanged() -> None:
    original = full_alert()
    document = to_document(original)
    assert from_document(document) == original
    assert to_document(from_document(document)) == document
    assert document["send_at"] == "2026-07-14T17:00:00Z"
    assert document["content"]["cy"]["machine_translated"] is True
    assert list(document["content"]) == ["en", "cy"]  # the written language stays first


def test_officers_see_times_in_london() -> None:
    shown = view(full_alert())
    assert shown["created_at_local"] == "14 July 2026, 10:30 BST"
    assert shown["send_at_local"] == "14 July 2026, 18:00 BST"
    assert shown["title"] == "Burglaries on Mill Lane"


def test_a_sending_alert_may_be_held_for_approval() -> None:
    sending = full_alert()
    sending.move(Status.PENDING_APPROVAL, "system", NOW)
    assert sending.status is Status.PENDING_APPROVAL
    assert sending.history[-1] == {"from": "sending", "to": "pending_approval", "by": "system",
                                   "at": "2026-07-14T09:30:00Z"}


@pytest.mark.parametrize("to", list(Status))
def test_a_sent_alert_cannot_move(to: Status) -> None:
    assert TRANSITIONS[Status.SENT] == set()
    sent = full_alert()
    sent.move(Status.SENT, "system", NOW)
    history = list(sent.history)
    with pytest.raises(HexwatchError) as refused:
        sent.move(to, "u1", NOW)
    assert refused.value.status == 409
    assert sent.status is Status.SENT
    assert sent.history == history


def costly_alert(sent_by_role: str | None, approver_role: str | None = None) -> Alert:
    held = full_alert()
    held.sent_by_role, held.approver_role = sent_by_role, approver_role
    return held


def test_a_costly_send_by_an_officer_without_approval_needs_a_supervisor() -> None:
    assert needs_supervisor(costly_alert("officer"), costly=True)
    assert needs_supervisor(costly_alert("volunteer", approver_role="officer"), costly=True)
    assert needs_supervisor(costly_alert(None), costly=True)


def test_a_supervisors_approval_or_an_admins_send_covers_a_costly_send() -> None:
    assert not needs_supervisor(costly_alert("officer", approver_role="supervisor"), costly=True)
    assert not needs_supervisor(costly_alert("officer", approver_role="admin"), costly=True)
    assert not needs_supervisor(costly_alert("admin"), costly=True)
    assert not needs_supervisor(costly_alert("supervisor"), costly=True)


def test_a_send_that_is_not_costly_never_needs_a_supervisor() -> None:
    assert not needs_supervisor(costly_alert("officer"), costly=False)
    assert not needs_supervisor(costly_alert("volunteer"), costly=False)


# A resident with several locations, read by pieces apart -----------------------------------------------------------


def test_pieces_that_read_a_residents_locations_apart_add_up_to_one_recipient() -> None:
    home, shop, far = (52.8060, -2.1160), (52.8100, -2.1200), (53.5, -1.0)
    coordinates = [far, home, shop]  # the first place lies outside the area

    def item_at(index: int) -> dict[str, Any]:
        lat, lng = coordinates[index]
        return {**location("commuter", lat=lat, lng=lng), **places_attributes(coordinates, index)}

    def inside(lat: float, lng: float) -> bool:
        return lat < 53.0

    filters = Filters.of(alert_body(channels=["email"]))
    pieces = [Audience(), Audience()]
    pieces[0].add_location(filters, item_at(1), inside)  # home: the first place inside counts them
    pieces[1].add_location(filters, item_at(2), inside)  # the shop, read by another piece, adds nobody
    assert pieces[0].counts().residents == 1 and pieces[1].counts().residents == 0
    assert places_attributes([home], 0) == {}  # a resident's only location carries nothing more


def test_a_cctv_operator_is_asked_for_footage_when_any_of_their_places_is_near_the_incident() -> None:
    home, shop = (52.8300, -2.1160), (52.8061, -2.1161)  # home 2.7 km north; the shop beside the incident
    coordinates = [home, shop]
    item = {**location("operator", groups=("cctv",), lat=home[0], lng=home[1]), **places_attributes(coordinates, 0)}
    filters = Filters.of(alert_body(channels=["email"], footage_request={"radius_m": 200}), CENTRE)
    gathered = Audience()
    gathered.add_location(filters, item, lambda lat, lng: True)  # home counts them; the shop makes them footage
    assert [r.footage for r in gathered.recipients.values()] == [True]
