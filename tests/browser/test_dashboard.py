"""The console's dashboard in Chromium: its figures equal a count made here by reading every resident straight from
the emulator (which the app itself never does), and small cells read "fewer than 5"."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import shapely
from boto3.dynamodb.types import TypeDeserializer

from infra.local.demo import DEMO_BOUNDARY
from tests.browser.axe_helpers import assert_no_violations
from tests.browser.console_helpers import sign_in_as

FEWER_THAN = "fewer than 5"
STREAM_SECONDS = 60


def independent_count(stack: dict[str, Any]) -> dict[str, int]:
    """Members of the demo force, and of each channel, from a scan of the residents table."""
    table = stack["stack"]["tables"]["subscribers"]
    dynamodb = boto3.client("dynamodb", endpoint_url=stack["endpoint"], region_name=stack.get("region", "eu-west-2"),
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    boundary = shapely.Polygon(DEMO_BOUNDARY)
    plain = TypeDeserializer().deserialize
    counts = {"all": 0, "email": 0, "sms": 0, "voice": 0, "push": 0}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            resident = {key: plain(value) for key, value in item.items()}
            if resident["status"] != "active" or not any(
                    boundary.covers(shapely.Point(float(p["lng"]), float(p["lat"]))) for p in resident["locations"]):
                continue
            counts["all"] += 1
            for channel in resident["channels"]:
                counts[channel] += 1
    return counts


def shown(count: int) -> str:
    return str(count) if count >= 5 else FEWER_THAN


def test_the_dashboard_shows_what_an_independent_count_finds(page: Any, stack: dict[str, Any]) -> None:
    sign_in_as(page, stack, "demo-supervisor@hexwatch.example")
    deadline = time.monotonic() + STREAM_SECONDS
    while True:
        page.get_by_role("link", name="Dashboard").click()
        page.locator("#stats-channel").wait_for()
        expected = independent_count(stack)
        members = page.locator("#dashboard-members").inner_text()
        by_channel = {channel: page.locator(f"#stats-channel tbody tr:nth-child({i + 1}) td").inner_text()
                      for i, channel in enumerate(sorted(["email", "sms", "voice", "push"]))}
        wanted = {channel: shown(expected[channel]) for channel in by_channel}
        if members == f"Members: {shown(expected['all'])}" and by_channel == wanted:
            break
        if time.monotonic() > deadline:  # the stream is a second or two behind a change: never a minute
            raise AssertionError(f"the dashboard says {members}, {by_channel}; the residents table {expected}")
        page.get_by_role("link", name="Alerts").click()
        time.sleep(1)
    assert expected["all"] >= 100, "the demo residents should be counted"
    # Weeks before the stack started had nobody join or leave: zero is a small cell too, and reads "fewer than 5".
    assert FEWER_THAN in page.locator("#stats-weekly").inner_text()
    assert page.locator("#stats-weekly tbody tr").count() == 8
    assert_no_violations(page, "the console's dashboard")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download these figures (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("section,dimension,value,week,figure")
    assert f"members,all,all,,{shown(expected['all'])}" in text
