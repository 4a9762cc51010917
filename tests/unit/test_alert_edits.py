"""The rules for changing an alert before it goes (domain/alert_edits.py): who may, until when, and where the alert
stands afterwards. Pure: no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import alert_edits
from chalicelib.domain.alerts import Alert, Source, Status, approve, new_alert
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.officers import Officer, Role

NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
VOLUNTEER = Officer("vol-sub", "vol@force.example", "staffs", Role.VOLUNTEER, whole_organisation=True)
OFFICER = Officer("off-sub", "off@force.example", "staffs", Role.OFFICER, whole_organisation=True)
SUPERVISOR = Officer("sup-sub", "sup@force.example", "staffs", Role.SUPERVISOR, whole_organisation=True)
ELSEWHERE = Officer("far-sub", "far@other.example", "kent", Role.ADMIN, whole_organisation=True)


def body(**overrides: object) -> dict[str, object]:
    return {"title": "Burglaries in Stafford", "body": "Please lock doors and windows tonight.",
            "category": "crime", "priority": "high", "incident_ref": "SP-2026-1234", "contact": {"phone": "101"},
            "channels": ["email"], "target": {"type": "circle", "center": {"lat": 52.8, "lng": -2.1},
                                              "radius_m": 1000}, **overrides}


def alert_by(author: Officer, status: Status = Status.DRAFT, **overrides: object) -> Alert:
    alert = new_alert("01EDIT" + "0" * 20, body(**overrides), Source("officer", "staffs", author.sub), NOW)
    alert.status = status
    return alert


def edited(alert: Alert, editor: Officer, patch: dict[str, object], at: datetime = NOW) -> tuple[Alert, Status]:
    alert_edits.check_may_edit(editor, alert, at, counted=False)
    changed = alert_edits.rebuild(alert, alert_edits.merge(alert, patch), at)
    return changed, alert_edits.settle(editor, changed, at)


def test_a_merge_patch_replaces_what_it_names_and_a_null_removes_an_optional_field() -> None:
    alert = alert_by(OFFICER, send_at="2027-01-15T12:00:00Z", groups=["dog-walkers"])
    merged = alert_edits.merge(alert, {"title": "Burglaries in Stone", "send_at": None, "groups": None})
    assert merged["title"] == "Burglaries in Stone" and "send_at" not in merged and "groups" not in merged
    assert merged["body"] == "Please lock doors and windows tonight."
    assert alert_edits.request_body(alert)["send_at"] == "2027-01-15T12:00:00Z"


def test_a_draft_stays_a_draft_and_the_audit_names_what_changed() -> None:
    alert = alert_by(OFFICER)
    after, status = edited(alert, OFFICER, {"title": "Burglaries in Stone", "priority": "urgent"})
    assert status is Status.DRAFT and after.id == alert.id and after.history == alert.history
    assert alert_edits.changed_fields(alert, after) == ["title", "priority"]
    assert alert_edits.describe(alert, after, ["title", "priority"]) == "changed title, priority"


def test_a_reschedule_is_described_in_uk_time_either_side_of_the_clock_change() -> None:
    alert = alert_by(OFFICER, Status.SCHEDULED, send_at="2027-03-27T12:00:00Z")
    after, status = edited(alert, OFFICER, {"send_at": "2027-03-28T12:00:00+01:00"})
    assert status is Status.SCHEDULED
    assert alert_edits.describe(alert, after, alert_edits.changed_fields(alert, after)) == (
        "changed send_at; send_at from 27 March 2027, 12:00 GMT to 28 March 2027, 12:00 BST")


def test_a_volunteers_edit_of_an_approved_scheduled_alert_sends_it_back_for_approval() -> None:
    alert = alert_by(VOLUNTEER, Status.PENDING_APPROVAL, send_at="2027-01-15T12:00:00Z")
    assert approve(OFFICER, alert, False, NOW) is Status.SCHEDULED
    after, status = edited(alert, VOLUNTEER, {"body": "Please lock doors and windows, and call 101 with news."})
    assert status is Status.PENDING_APPROVAL and after.status is Status.PENDING_APPROVAL
    assert after.approved_by is None and after.moderation is None
    assert after.history[-1]["reason"] == "edited"


def test_an_officers_edit_of_a_scheduled_alert_keeps_it_scheduled_as_their_send_or_sends_it_now() -> None:
    alert = alert_by(VOLUNTEER, Status.PENDING_APPROVAL, send_at="2027-01-15T12:00:00Z")
    approve(SUPERVISOR, alert, False, NOW)
    after, status = edited(alert, OFFICER, {"title": "Burglaries in Stone"})
    assert status is Status.SCHEDULED and after.sent_by == "off-sub" and after.approved_by == "sup-sub"
    now_please, status = edited(alert, OFFICER, {"send_at": None})
    assert status is Status.SENDING and now_please.send_at is None


def test_only_the_author_volunteer_or_an_officer_of_the_force_may_edit_and_never_a_partners_alert() -> None:
    alert = alert_by(OFFICER)
    for editor in (VOLUNTEER, ELSEWHERE):
        with pytest.raises(HexwatchError) as refused:
            alert_edits.check_may_edit(editor, alert, NOW, counted=False)
        assert refused.value.status == 403
    partner = new_alert("01PART" + "0" * 20, body(), Source("partner", "staffs", "partner:council"), NOW)
    partner.status = Status.PENDING_APPROVAL
    with pytest.raises(HexwatchError) as refused:
        alert_edits.check_may_edit(OFFICER, partner, NOW, counted=False)
    assert refused.value.status == 403


@pytest.mark.parametrize("status", [Status.SENDING, Status.PAUSED, Status.SENT, Status.CANCELLED])
def test_an_alert_that_has_gone_cannot_be_edited(status: Status) -> None:
    with pytest.raises(HexwatchError) as refused:
        alert_edits.check_may_edit(OFFICER, alert_by(OFFICER, status), NOW, counted=False)
    assert refused.value.status == 409 and refused.value.errors[0].pointer == "/status"


def test_a_scheduled_alert_is_not_edited_once_due_nor_one_counted_and_held() -> None:
    alert = alert_by(OFFICER, Status.SCHEDULED, send_at="2027-01-15T09:30:00Z")
    with pytest.raises(HexwatchError) as refused:
        alert_edits.check_may_edit(OFFICER, alert, NOW + timedelta(minutes=30), counted=False)
    assert refused.value.status == 409 and refused.value.errors[0].pointer == "/send_at"
    held = alert_by(OFFICER, Status.PENDING_APPROVAL)
    with pytest.raises(HexwatchError) as refused:
        alert_edits.check_may_edit(SUPERVISOR, held, NOW, counted=True)
    assert refused.value.status == 409


def test_an_edit_is_checked_as_a_new_alert_is() -> None:
    alert = alert_by(OFFICER, Status.SCHEDULED, send_at="2027-01-15T12:00:00Z")
    with pytest.raises(HexwatchError) as refused:
        edited(alert, OFFICER, {"send_at": "2027-01-15T08:00:00Z"})
    assert refused.value.status == 400 and refused.value.errors[0].pointer == "/send_at"
    with pytest.raises(HexwatchError) as refused:
        edited(alert, OFFICER, {"expires_at": "2027-01-15T11:00:00Z"})
    assert refused.value.errors[0].pointer == "/expires_at"
