"""The local stack keeps its data across restarts (infra/local/persistence.py): a resident, their signed links, the
officers (same subs, passwords and TOTP), the alerts and a scheduled alert's queued job survive a clean stop, the
periodic snapshot survives a SIGKILL, and `--fresh` starts empty and seeds the demo again.

These tests run their own stacks (`python -m infra.local.run` on free ports, as the session's `local_stack` does),
one after another on one temporary state file and data dir, and share the restart sequence: the module fixture
starts a stack, makes data, stops it with SIGTERM and starts it again; the later tests go on from there.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from infra.local.token import token_from_state

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10
STARTUP_TIMEOUT_SECONDS = 90
# Every request comes from 127.0.0.1, so the per-IP limits (meant for one person) are lifted, as in tests/conftest.py.
GENEROUS_IP_LIMITS = {"signup.ip": [100_000, 3600], "verify.ip": [100_000, 3600], "signin.ip": [100_000, 3600]}
OFFICER = "demo-officer@hexwatch.example"
SCHEDULE_AHEAD_SECONDS = 30  # after the stop; if the restart takes longer the job is simply due at once


class StackRunner:
    """One local stack at a time on a fixed state file and data dir; started and stopped as a developer would."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.state_file = workdir / "stack.json"
        self.data_dir = workdir / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "stack-0.log"
        self.starts = 0
        self.snapshot_seconds: float | None = None

    def start(self, *extra: str, snapshot_seconds: float = 60) -> dict[str, Any]:
        assert self.process is None, "one stack at a time on one data dir"
        self.starts += 1
        self.log_path = self.workdir / f"stack-{self.starts}.log"
        self.snapshot_seconds = snapshot_seconds
        # A SIGKILLed stack leaves its state file behind: waiting for "the" file must not find that one.
        self.state_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "infra.local.run", "--moto-port=0", "--api-port=0", "--site-port=0",
                   f"--state-file={self.state_file}", f"--site-out={self.workdir / 'site'}",
                   f"--data-dir={self.data_dir}", f"--snapshot-seconds={snapshot_seconds}", *extra]
        environment = {**os.environ, "HEXWATCH_RATE_LIMITS": json.dumps(GENEROUS_IP_LIMITS)}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self.state_file.exists():
            if self.process.poll() is not None:
                self.process = None
                pytest.fail(f"the local stack exited:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no state file after {STARTUP_TIMEOUT_SECONDS} s:\n{self.log()}")
            time.sleep(0.2)
        return self.state()

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int:
        process, self.process = self.process, None
        if process is None:
            return 0
        process.send_signal(how)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-20000:] if self.log_path.exists() else ""

    @property
    def snapshot(self) -> Path:
        return self.data_dir / "snapshot.json"


def outbox(stack: dict[str, Any]) -> list[dict[str, Any]]:
    return list(requests.get(f"{stack['site_url']}/outbox.json", timeout=TIMEOUT).json())


def wait_for_link(stack: dict[str, Any], to: str, page: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in outbox(stack):
            if message["channel"] == "email" and to in message["to"]:
                for link in message["links"]:
                    if f"/{page}?" in link:
                        return str(link)
        time.sleep(0.3)
    raise AssertionError(f"no email to the test resident links to {page} within {seconds} s")


def wait_for_unsubscribe(stack: dict[str, Any], to: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in outbox(stack):
            if message["channel"] == "email" and to in message["to"] and "List-Unsubscribe" in message["headers"]:
                return str(message["headers"]["List-Unsubscribe"]).strip("<>")
        time.sleep(0.3)
    raise AssertionError(f"no email with List-Unsubscribe to the test resident within {seconds} s")


def token_in(link: str) -> str:
    return re.search(r"token=([^&\s]+)", link).group(1)  # type: ignore[union-attr]


def on_site(stack: dict[str, Any], link: str) -> str:
    """The same link on this run's site: the tests take free ports, so the origin changes at each start (with
    `make run`'s fixed ports it does not)."""
    parts = urlsplit(link)
    return f"{stack['site_url']}{parts.path}?{parts.query}"


def officer_headers(stack: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_from_state(stack, OFFICER)}"}


def alert_list(stack: dict[str, Any]) -> list[dict[str, Any]]:
    answer = requests.get(f"{stack['site_url']}/v1/alerts", headers=officer_headers(stack), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["alerts"])


def create_alert(stack: dict[str, Any], title: str, **extra: Any) -> str:
    answer = requests.post(f"{stack['site_url']}/v1/alerts", headers=officer_headers(stack), timeout=TIMEOUT, json={
        "title": title, "category": "crime", "priority": "normal",
        "body": "Sheds were broken into overnight. Please lock garden buildings.",
        "incident_ref": f"RESTART/{uuid.uuid4().hex[:6].upper()}", "contact": {"phone": "101"}, "channels": ["email"],
        "target": {"type": "circle", "center": {"lat": 52.8066, "lng": -2.1167}, "radius_m": 800}, **extra})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def alert_status(stack: dict[str, Any], alert_id: str) -> str:
    answer = requests.get(f"{stack['site_url']}/v1/alerts/{alert_id}", headers=officer_headers(stack),
                          timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def without(alerts: list[dict[str, Any]], alert_id: str) -> list[dict[str, Any]]:
    return [alert for alert in alerts if alert["id"] != alert_id]


def sign_in(stack: dict[str, Any], email: str) -> dict[str, str]:
    """Passwordless sign-in by the emailed link; returns the session's headers."""
    site = stack["site_url"]
    assert requests.post(f"{site}/v1/signin", json={"email": email}, timeout=TIMEOUT).status_code == 202
    session = requests.post(f"{site}/v1/session", json={"token": token_in(wait_for_link(stack, email, "signin.html"))},
                            timeout=TIMEOUT)
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['session']}"}


@pytest.fixture(scope="module")
def restarted() -> Iterator[dict[str, Any]]:
    """Start, make a resident and an alert, SIGTERM, start again on the same data dir."""
    runner = StackRunner(Path(tempfile.mkdtemp(prefix="hexwatch-restart-")))
    try:
        # Snapshots at the stop only: what the second start finds must come from the clean stop.
        before = runner.start(snapshot_seconds=0)
        site = before["site_url"]
        email = f"restart-{uuid.uuid4().hex[:8]}@example.org"
        signup = requests.post(f"{site}/v1/signup", timeout=TIMEOUT, json={
            "email": email, "channels": ["email"], "categories": ["crime", "neighbourhood"], "language": "en",
            "locations": [{"label": "Home", "lat": 52.8070, "lng": -2.1160}], "age_confirmed": True,
            "consent": True})
        assert signup.status_code == 202, signup.text
        verified = requests.post(f"{site}/v1/verify", timeout=TIMEOUT,
                                 json={"token": token_in(wait_for_link(before, email, "verify.html"))})
        assert verified.status_code == 200, verified.text
        resident = requests.get(f"{site}/v1/me", timeout=TIMEOUT,
                                headers={"Authorization": f"Bearer {verified.json()['session']}"}).json()
        unsubscribe_link = wait_for_unsubscribe(before, email)
        alert_id = create_alert(before, "Shed break-ins before the restart")
        # Sent at a time after the restart: only its delayed job on the queue makes it go.
        send_at = time.time() + SCHEDULE_AHEAD_SECONDS
        scheduled_id = create_alert(before, "Shed break-ins: scheduled across the restart", send_at=time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(send_at)))
        sent = requests.post(f"{site}/v1/alerts/{scheduled_id}/send", headers=officer_headers(before),
                             timeout=TIMEOUT)
        assert sent.status_code == 200 and sent.json()["status"] == "scheduled", sent.text
        alerts_before = alert_list(before)
        assert not runner.snapshot.exists()

        assert runner.stop(signal.SIGTERM) == 0, runner.log()
        assert runner.snapshot.exists(), runner.log()
        after = runner.start(snapshot_seconds=1)  # a short period, for the SIGKILL test that follows
        yield {"runner": runner, "before": before, "after": after, "email": email, "resident": resident,
               "unsubscribe_link": unsubscribe_link, "alert_id": alert_id, "alerts_before": alerts_before,
               "scheduled_id": scheduled_id, "send_at": send_at}
    finally:
        runner.stop(signal.SIGTERM)


def test_the_snapshot_is_readable_by_its_owner_only(restarted: dict[str, Any]) -> None:
    snapshot = restarted["runner"].snapshot
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    assert stat.S_IMODE(snapshot.parent.stat().st_mode) == 0o700
    document = json.loads(snapshot.read_text())
    assert document["format"] == "hexwatch-local-snapshot" and document["version"] == 1


def test_after_a_restart_the_pool_and_the_demo_officers_are_the_same(restarted: dict[str, Any]) -> None:
    before, after = restarted["before"], restarted["after"]
    assert after["restored_from"] and before["restored_from"] is None
    assert after["user_pool_id"] == before["user_pool_id"]
    assert after["user_pool_client_id"] == before["user_pool_client_id"]
    assert after["jwks_url"] == f"{after['endpoint']}/{after['user_pool_id']}/.well-known/jwks.json"
    # Not seeded again: the same subs (the registry's keys), passwords and TOTP secrets, and no second seed run.
    assert after["users"] == before["users"]
    assert after["demo_residents"] == before["demo_residents"]
    assert "seed_demo_residents failed" not in restarted["runner"].log()
    me = requests.get(f"{after['site_url']}/v1/officer/me", headers=officer_headers(after), timeout=TIMEOUT)
    assert me.status_code == 200 and me.json()["role"] == "officer", me.text


def test_after_a_restart_the_resident_signs_in_and_the_old_unsubscribe_link_works(
        restarted: dict[str, Any]) -> None:
    after, email = restarted["after"], restarted["email"]
    session = sign_in(after, email)
    me = requests.get(f"{after['site_url']}/v1/me", headers=session, timeout=TIMEOUT).json()
    assert me["id"] == restarted["resident"]["id"] and me["status"] == "active"
    assert me["categories"] == ["crime", "neighbourhood"]

    # Signed before the restart with the link-signing secret, which must have survived.
    link = on_site(after, restarted["unsubscribe_link"])
    details = requests.get(link, timeout=TIMEOUT)
    assert details.status_code == 200, details.text
    assert details.json()["subscribed"] is True
    one_click = requests.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=TIMEOUT)
    assert one_click.status_code == 200, one_click.text
    me = requests.get(f"{after['site_url']}/v1/me", headers=session, timeout=TIMEOUT).json()
    assert "email" not in me["channels"]


def test_after_a_restart_the_officers_alert_list_is_unchanged(restarted: dict[str, Any]) -> None:
    after = restarted["after"]
    alerts = alert_list(after)
    assert [alert["id"] for alert in alerts] == [alert["id"] for alert in restarted["alerts_before"]]
    # All as they were, but the scheduled one, whose status moves on when its time comes.
    assert without(alerts, restarted["scheduled_id"]) == without(restarted["alerts_before"], restarted["scheduled_id"])
    assert restarted["alert_id"] in [alert["id"] for alert in alerts]


def test_after_a_restart_a_scheduled_alert_is_sent_at_its_time(restarted: dict[str, Any]) -> None:
    after, scheduled_id = restarted["after"], restarted["scheduled_id"]
    deadline = restarted["send_at"] + 60
    status = alert_status(after, scheduled_id)
    while status != "sent" and time.time() < deadline:
        time.sleep(1)
        status = alert_status(after, scheduled_id)
    assert status == "sent", restarted["runner"].log()
    assert time.time() >= restarted["send_at"]


def test_a_killed_stack_comes_back_from_its_last_periodic_snapshot(restarted: dict[str, Any]) -> None:
    runner: StackRunner = restarted["runner"]
    if runner.process is None or runner.snapshot_seconds != 1:
        runner.stop()
        runner.start(snapshot_seconds=1)
    running = runner.state()
    alert_id = create_alert(running, "Shed break-ins before the crash")
    deadline = time.monotonic() + 20
    while alert_id not in runner.snapshot.read_text():  # a periodic snapshot has caught it
        assert time.monotonic() < deadline, f"no periodic snapshot with the new alert:\n{runner.log()}"
        time.sleep(0.3)

    runner.stop(signal.SIGKILL)  # no clean stop, no final snapshot
    restored = runner.start()
    assert alert_id in [alert["id"] for alert in alert_list(restored)]
    assert restored["users"] == running["users"]


def test_fresh_starts_empty_and_seeds_the_demo_again(restarted: dict[str, Any]) -> None:
    runner: StackRunner = restarted["runner"]
    runner.stop()
    assert runner.snapshot.exists(), "a snapshot to throw away"
    fresh = runner.start("--fresh")
    assert fresh["restored_from"] is None
    assert alert_list(fresh) == []
    assert {user["role"] for user in fresh["users"]} == {"volunteer", "officer", "supervisor", "admin", "operator"}
    old_passwords = {user["username"]: user["password"] for user in restarted["before"]["users"]}
    assert all(user["password"] != old_passwords[user["username"]] for user in fresh["users"])
    assert isinstance(fresh["demo_residents"], dict) and fresh["demo_residents"]["residents"] > 0
    areas = requests.get(f"{fresh['site_url']}/v1/areas", headers=officer_headers(fresh), timeout=TIMEOUT)
    assert areas.status_code == 200 and len(areas.json()["areas"]) == len(fresh["demo_areas"]["features"])
    # The resident from before is gone too: signing in answers the same but sends nothing.
    assert requests.post(f"{fresh['site_url']}/v1/signin", json={"email": restarted["email"]},
                         timeout=TIMEOUT).status_code == 202
    time.sleep(2)
    assert not [m for m in outbox(fresh) if restarted["email"] in m["to"]]
