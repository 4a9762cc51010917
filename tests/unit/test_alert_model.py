"""The alert's life: allowed moves, approvals, times, and the target geometry."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.alerts import (
    Alert,
    Content,
    Source,
    Status,
    approve,
    check_times,
    london_text,
    parse_time,
    status_when_sent,
    target_geometry,
)
from chalicelib.domain.coverage import Area, Circle
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.officers import Officer, Role

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def officer(role: Role, sub: str = "u1", organisation: str = "staffordshire") -> Officer:
    return Officer(sub=sub, username=f"{sub}@example.org", organisation=organisation, role=role)


def alert(status: Status = Status.DRAFT, author: str = "u1", send_at: datetime | None = None) -> Alert:
    return Alert(id="01JD0000000000000000000000", type="alert", references=[], status=status, category="crime",
                 priority="normal", incident_ref="SP-1", contact={"phone": "101"},
                 target={"type": "circle", "center": {"lat": 52.8, "lng": -2.1}, "radius_m": 1000},
                 channels=["email"], groups=[], business_sectors=[],
                 content={"en": Content("Appeal", "Did you see anything?")},
                 source=Source("officer", "staffordshire", author), created_at=NOW, send_at=send_at)


def test_an_officer_sends_at_once_and_a_future_send_waits() -> None:
    assert status_when_sent(officer(Role.OFFICER), alert(), costly=False, now=NOW) is Status.SENDING
    later = alert(send_at=NOW + timedelta(hours=2))
    assert status_when_sent(officer(Role.OFFICER), later, costly=False, now=NOW) is Status.SCHEDULED


def test_volunteers_and_costly_sends_wait_for_approval() -> None:
    assert status_when_sent(officer(Role.VOLUNTEER), alert(), costly=False, now=NOW) is Status.PENDING_APPROVAL
    assert status_when_sent(officer(Role.OFFICER), alert(), costly=True, now=NOW) is Status.PENDING_APPROVAL
    assert status_when_sent(officer(Role.SUPERVISOR), alert(), costly=True, now=NOW) is Status.SENDING


def test_approval_needs_another_officer_of_the_force_and_a_supervisor_when_costly() -> None:
    waiting = alert(Status.PENDING_APPROVAL, author="volunteer")
    with pytest.raises(HexwatchError) as own:
        approve(officer(Role.OFFICER, sub="volunteer"), waiting, costly=False, now=NOW)
    assert own.value.status == 403
    with pytest.raises(HexwatchError):
        approve(officer(Role.OFFICER, sub="other", organisation="derbyshire"), waiting, costly=False, now=NOW)
    with pytest.raises(HexwatchError):
        approve(officer(Role.OFFICER, sub="other"), waiting, costly=True, now=NOW)
    with pytest.raises(HexwatchError):
        approve(officer(Role.VOLUNTEER, sub="other"), waiting, costly=False, now=NOW)
    assert approve(officer(Role.SUPERVISOR, sub="sarge"), waiting, costly=True, now=NOW) is Status.SENDING
    assert waiting.approved_by == "sarge" and waiting.history[-1]["to"] == "sending"


def test_sent_and_cancelled_alerts_cannot_move_and_say_so_with_409() -> None:
    for final in (Status.SENT, Status.CANCELLED):
        with pytest.raises(HexwatchError) as refused:
            alert(final).move(Status.SENDING, "u1", NOW)
        assert refused.value.status == 409 and refused.value.errors[0].pointer == "/status"
    sending = alert(Status.SENDING)
    sending.move(Status.CANCELLED, "u1", NOW)  # stops what is not yet sent
    assert sending.status is Status.CANCELLED


def test_times_are_utc_inside_and_london_outside() -> None:
    summer = parse_time("2026-07-01T12:00:00+01:00", "/send_at")
    assert summer == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    assert london_text(summer) == "1 July 2026, 12:00 BST"
    assert london_text(NOW) == "21 November 2026, 12:00 GMT"
    with pytest.raises(HexwatchError) as naive:
        parse_time("2026-07-01T12:00:00", "/send_at")
    assert naive.value.errors[0].pointer == "/send_at"
    with pytest.raises(HexwatchError) as wrong:
        check_times(NOW - timedelta(minutes=1), NOW - timedelta(minutes=2), NOW)
    assert {e.pointer for e in wrong.value.errors} == {"/send_at", "/expires_at"}


def test_circle_and_polygon_targets_become_geometry() -> None:
    circle = target_geometry({"type": "circle", "center": {"lat": 52.8, "lng": -2.1}, "radius_m": 500})
    assert isinstance(circle, Circle) and circle.radius_m == 500
    square = [[-2.2, 52.7], [-2.0, 52.7], [-2.0, 52.9], [-2.2, 52.9], [-2.2, 52.7]]
    polygon = target_geometry({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [square]}})
    assert isinstance(polygon, Area) and polygon.contains(52.8, -2.1)
    assert target_geometry({"type": "organisation"}) is None
