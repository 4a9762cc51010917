"""The force dashboard on the emulator: residents written through the app's own store reach the counters through the
subscribers table's real stream (read from moto and handed to the `aggregate_stats` handler, as Lambda would), and
GET /v1/stats matches a count made here from the residents themselves, with small cells hidden."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.domain.small_counts import FEWER_THAN
from infra.local.pump import LambdaContext, stream_record

from .alert_helpers import AlertStack, offset, serving_alert_stack

STAFFORD = (52.8066, -2.1167)
CANNOCK = (52.6910, -2.0270)
LONDON = (51.5072, -0.1276)  # outside the demo force: counted by no one here


@pytest.fixture
def stack(emulator: Any, fresh_stack: Callable[..., dict[str, Any]]) -> Iterator[AlertStack]:
    yield from serving_alert_stack(emulator, fresh_stack)


def run_stream(stack: AlertStack) -> int:
    """Every record the subscribers table's stream holds, from the oldest, handed to the handler in batches of 100:
    records applied before find their markers, so a replay must change nothing."""
    table = f"{stack.prefix}-subscribers"
    stream_arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams")
    handled = 0
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=100)
            records = response.get("Records") or []
            if not records:
                break
            event = {"Records": [stream_record(record, stream_arn) for record in records]}
            stack.app.handler_map["aggregate_stats"](event, LambdaContext("aggregate_stats"))
            handled += len(records)
            iterator = response.get("NextShardIterator")
    return handled


def stats(stack: AlertStack, role: str = "supervisor", query: str = "") -> Any:
    return stack.call("GET", f"/v1/stats{query}", role)


def test_the_dashboard_counts_what_the_residents_are_and_hides_small_cells(stack: AlertStack) -> None:
    stafford = [stack.resident(*offset(*STAFFORD, 100 * i, 50), ["email", "sms"] if i < 4 else ["email"],
                               ["crime"], groups=["farm"] if i < 2 else []) for i in range(7)]
    cannock = [stack.resident(*offset(*CANNOCK, 100 * i, 0), ["sms"], ["rural"]) for i in range(2)]
    stack.resident(*LONDON, ["email"], ["crime"])
    # One Stafford resident stops SMS; one Cannock resident leaves (erasure). Both through the app's own services.
    changed = stafford[0]
    previous = bootstrap.services().store.get(changed.id)
    changed.channels = ["email"]
    bootstrap.services().store.save(changed, previous)
    bootstrap.services().residents.erase(cannock[0])
    assert run_stream(stack) > 0

    # The count made here, independently, from the residents as they now are.
    members = stafford + cannock[1:]
    expected_sms = sum("sms" in r.channels for r in members)
    expected_email = sum("email" in r.channels for r in members)
    assert (len(members), expected_email, expected_sms) == (8, 7, 4)

    response = stats(stack)
    assert response.status_code == 200, response.body
    view = json.loads(response.body)
    assert view["members"]["all"] == len(members) == 8
    assert view["members"]["by_area"]["stafford"] == 7
    assert view["members"]["by_area"]["cannock"] == FEWER_THAN  # one resident left there
    assert view["members"]["by_channel"]["email"] == expected_email
    # sms is 4 (hidden), and with voice and push at 0 (hidden too) no lone hidden cell can be worked out.
    assert view["members"]["by_channel"] == {"email": 7, "sms": FEWER_THAN, "voice": FEWER_THAN, "push": FEWER_THAN}
    assert view["members"]["by_category"]["crime"] == 7 and view["members"]["by_category"]["rural"] == FEWER_THAN
    assert view["members"]["by_group"] == {"farm": FEWER_THAN}
    assert view["verified_contacts"]["email"] == 7
    this_week = view["weekly"][-1]
    assert this_week["joined"] == 9 and this_week["left"] == FEWER_THAN  # the erased resident
    assert len(view["weekly"]) == 8 == len(view["weeks"])

    # Lambda hands a stream batch over again after a failure: the counts do not move.
    run_stream(stack)
    assert json.loads(stats(stack).body)["members"] == view["members"]

    # A record lost to the dead-letter queue leaves the counts short; the operator's recount puts them right.
    from chalicelib.adapters.models import StatModel
    from infra.recount_stats import main as recount

    StatModel("staffordshire", "total#members#all#all", n=3).save()
    StatModel("staffordshire", "total#members#channel#voice", n=2).save()  # a cell nobody is in
    assert json.loads(stats(stack).body)["members"]["all"] == FEWER_THAN
    assert recount(["--prefix", stack.prefix, "--region", "eu-west-2"]) == 0
    assert json.loads(stats(stack).body)["members"] == view["members"]

    # The same figures as CSV, hidden cells as shown.
    download = stats(stack, query="?format=csv")
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.body.decode() if isinstance(download.body, bytes) else download.body)))
    assert ["members", "area", "stafford", "", "7"] in rows
    assert ["members", "channel", "sms", "", FEWER_THAN] in rows


def test_alerts_sent_and_recipients_reached_come_from_the_alerts_own_counters(stack: AlertStack) -> None:
    for i in range(6):
        stack.resident(*offset(*STAFFORD, 80 * i, -60), ["email"], ["crime"])
    alert = stack.create(target={"type": "circle", "center": {"lat": STAFFORD[0], "lng": STAFFORD[1]},
                                 "radius_m": 1000}, channels=["email"])
    assert stack.call("POST", f"/v1/alerts/{alert['id']}/send", body={}).status_code == 200
    stack.pump()
    week = json.loads(stats(stack).body)["alerts"][-1]
    assert week["alerts_sent"] == 1 and week["by_category"] == {"crime": 1}
    assert week["channels"]["email"]["reached"] == 6
    assert week["channels"]["email"]["bounce_rate"] == 0.0


def test_the_dashboard_refuses_volunteers_and_bad_parameters(stack: AlertStack) -> None:
    assert stats(stack, "volunteer").status_code == 403
    for query, pointer in (("?weeks=0", "/weeks"), ("?weeks=27", "/weeks"), ("?weeks=x", "/weeks"),
                           ("?format=xml", "/format")):
        response = stats(stack, query=query)
        assert response.status_code == 400, query
        assert json.loads(response.body)["errors"][0]["pointer"] == pointer


def test_the_alert_list_filters_by_author_area_and_date(stack: AlertStack) -> None:
    mine = stack.create("officer", target={"type": "circle", "center": {"lat": STAFFORD[0], "lng": STAFFORD[1]},
                                           "radius_m": 800})
    theirs = stack.create("supervisor", target={"type": "areas", "area_ids": ["cannock"]})

    def listed(query: str, role: str = "officer") -> set[str]:
        response = stack.call("GET", f"/v1/alerts{query}", role)
        assert response.status_code == 200, response.body
        return {a["id"] for a in json.loads(response.body)["alerts"]}

    assert listed("?author=me") == {mine["id"]}
    assert listed("?area=stafford") == {mine["id"]}
    assert listed("?area=cannock") == {theirs["id"]}
    assert {mine["id"], theirs["id"]} <= listed("?from=2020-01-01&to=2100-01-01")
    assert listed("?to=2020-01-01") == set()
    for query, pointer in (("?area=Nope!", "/area"), ("?from=2026-13-01", "/from"), ("?author=x", "/author"),
                           ("?from=2026-12-02&to=2026-12-01", "/to")):
        response = stack.call("GET", f"/v1/alerts{query}", "officer")
        assert response.status_code == 400, query
        assert json.loads(response.body)["errors"][0]["pointer"] == pointer
    assert stack.call("GET", "/v1/alerts?area=nowhere", "officer").status_code == 404
