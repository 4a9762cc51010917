"""`python -m infra.erase_resident` against the emulator: an operator erases a resident found by a contact they give.

Residents are signed up and confirmed through the real API (email and mobile, a location, a push device, two
sessions) and given a delivery ledger entry, then erased by the command, in-process and once as a subprocess. Every
test also reads what the command printed for the resident's address and number: neither may appear in full.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import bootstrap
from chalicelib.adapters.ledger import DeliveryLedger, LedgerEntry
from chalicelib.adapters.models import LocationModel, ResidentSessionModel
from infra import erase_resident
from infra.local.emulator import REGION

from .ledger_reads import TOMBSTONE_SHAPE
from .residents_helpers import ResidentApi, generous_resident_api, signup_body, unique_email, unique_mobile

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api(emulator, fresh_stack) -> Iterator[ResidentApi]:  # type: ignore[no-untyped-def]
    with generous_resident_api(fresh_stack) as api:
        yield api


@dataclass(frozen=True)
class Signed:
    """A confirmed resident and what the tests look them up by."""

    id: str
    email: str
    phone: str  # E.164, as given
    hashes: tuple[str, str]  # email's, mobile's
    sessions: tuple[str, str]
    endpoint_arn: str


class TtyInput(io.StringIO):
    """An operator at a terminal typing these lines."""

    def isatty(self) -> bool:
        return True


def signed_up(api: ResidentApi) -> Signed:
    """Email and mobile both confirmed, one location, a push device, a session per contact and one ledger entry."""
    number = unique_mobile()
    body, email_session = api.signed_up_and_verified(phone=number, channels=["email", "sms", "push"])
    phone_verified = api.post("/v1/verify", {"phone": number, "code": api.code_sent_to(number)})
    assert phone_verified.status_code == 200, phone_verified.body
    phone_session = json.loads(phone_verified.body)["session"]
    device = api.request("POST", "/v1/me/devices", email_session, {"platform": "fcm", "token": uuid.uuid4().hex * 2})
    assert device.status_code == 201, device.body
    resident_id = json.loads(api.request("GET", "/v1/me", email_session).body)["id"]
    wired = bootstrap.services()
    hashes = (wired.hasher.email(body["email"]).hash, wired.hasher.mobile(number).hash)
    resident = wired.store.get(resident_id)
    assert resident is not None and resident.devices[0].endpoint_arn
    # Sending a real alert is a long way round: one entry as the fan-out writes it is what erasure must find.
    ledger = DeliveryLedger(boto3.client("dynamodb"), f"{api.prefix}-deliveries")
    ledger.put_entries("01ALERTERASURETEST0000000", [LedgerEntry(
        key=f"email#0#{resident_id}", resident_id=resident_id, channel="email", contact=hashes[0], language="en")])
    return Signed(resident_id, body["email"], number, hashes, (email_session, phone_session),
                  resident.devices[0].endpoint_arn)


def ledger_count(prefix: str, contact: str) -> int:
    """The contact's ledger entries that hold anything of the resident: erasure leaves each as a tombstone with
    nothing but its keys, the contact's hash and its expiry."""
    items = boto3.client("dynamodb").query(
        TableName=f"{prefix}-deliveries", IndexName="by-contact", KeyConditionExpression="contact = :c",
        ExpressionAttributeValues={":c": {"S": contact}})["Items"]
    return sum(1 for item in items if set(item) - TOMBSTONE_SHAPE)


def endpoint_exists(arn: str) -> bool:
    try:
        boto3.client("sns").get_endpoint_attributes(EndpointArn=arn)
    except ClientError:
        return False
    return True


def assert_intact(api: ResidentApi, who: Signed) -> None:
    wired = bootstrap.services()
    assert wired.store.get(who.id) is not None
    assert all(wired.store.contact_owner(h).resident_id == who.id for h in who.hashes)  # type: ignore[union-attr]
    assert any(item.resident_id == who.id for item in LocationModel.scan())
    assert ResidentSessionModel.count(who.id) == 2
    assert ledger_count(api.prefix, who.hashes[0]) == 1
    assert endpoint_exists(who.endpoint_arn)
    assert all(wired.suppressions.reason(h) is None for h in who.hashes)
    assert api.request("GET", "/v1/me", who.sessions[0]).status_code == 200


def assert_erased(api: ResidentApi, who: Signed) -> None:
    wired = bootstrap.services()
    assert wired.store.get(who.id) is None
    assert all(wired.store.contact_owner(h) is None for h in who.hashes)
    assert not any(item.resident_id == who.id for item in LocationModel.scan())
    assert ResidentSessionModel.count(who.id) == 0
    assert all(api.request("GET", "/v1/me", s).status_code == 401 for s in who.sessions)
    assert ledger_count(api.prefix, who.hashes[0]) == 0
    assert not endpoint_exists(who.endpoint_arn)
    assert [wired.suppressions.reason(h) for h in who.hashes] == ["erased", "erased"]


def assert_private(text: str, *contacts: str) -> None:
    """No address or number in full, in any form an operator typed or the app stores."""
    for contact in contacts:
        forms = {contact, contact.lower(), contact.partition("@")[0]} if "@" in contact else \
            {contact, contact.lstrip("+"), "0" + contact[3:]}
        for form in forms:
            assert form not in text, "a contact appeared in the command's output"


def run(api: ResidentApi, *args: str) -> int:
    return erase_resident.main(["--prefix", api.prefix, "--region", REGION, *args])


def test_an_operator_erases_a_resident_found_by_email_everywhere(
        api: ResidentApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    who = signed_up(api)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: --yes is what lets it go on
    assert run(api, "--email", who.email.upper(), "--yes") == erase_resident.ERASED  # normalised as at signup
    assert_erased(api, who)
    captured = capsys.readouterr()
    receipt = [line for line in captured.out.splitlines() if line.startswith("receipt:")]
    assert len(receipt) == 1 and f"resident={who.id}" in receipt[0]
    assert "contacts=2 locations=1 devices=1 sessions=2 deliveries=1 suppressed=2" in receipt[0]
    assert "***@example.org" in captured.out  # shown masked, as the app shows it
    assert_private(captured.out + captured.err, who.email, who.phone)
    assert os.environ["HEXWATCH_PREFIX"] == api.prefix  # main() left the environment as it found it


def test_a_dry_run_and_a_refusal_change_nothing(
        api: ResidentApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    who = signed_up(api)
    assert run(api, "--phone", who.phone, "--dry-run") == erase_resident.ERASED
    assert "dry run" in capsys.readouterr().out
    assert_intact(api, who)

    monkeypatch.setattr(sys, "stdin", io.StringIO("erase\n"))  # piped in: nobody at a terminal confirmed it
    assert run(api, "--phone", who.phone) == erase_resident.REFUSED
    assert "--yes" in capsys.readouterr().err
    assert_intact(api, who)

    monkeypatch.setattr(sys, "stdin", TtyInput("no\n"))
    assert run(api, "--resident-id", who.id) == erase_resident.REFUSED
    assert_intact(api, who)

    monkeypatch.setattr(sys, "stdin", TtyInput("erase\n"))
    assert run(api, "--resident-id", who.id) == erase_resident.ERASED
    assert_erased(api, who)
    captured = capsys.readouterr()
    assert_private(captured.out + captured.err, who.email, who.phone)


def test_the_command_erases_as_a_subprocess(api: ResidentApi) -> None:
    who = signed_up(api)
    # The emulator's environment as tests/conftest.py set it: AWS_ENDPOINT_URL, fake credentials, HEXWATCH_*. The
    # number comes on stdin ("--phone -"), as an operator keeps it out of their shell's history.
    done = subprocess.run(
        [sys.executable, "-m", "infra.erase_resident", "--prefix", api.prefix, "--region", REGION,
         "--phone", "-", "--yes"],
        cwd=REPO_ROOT, env=dict(os.environ), input=who.phone + "\n", capture_output=True, text=True, timeout=120,
        check=False)
    assert done.returncode == erase_resident.ERASED, done.stderr
    assert f"receipt: erased resident={who.id}" in done.stdout
    assert_erased(api, who)
    assert_private(done.stdout + done.stderr, who.email, who.phone)


def test_an_unknown_contact_is_not_found_and_can_be_suppressed(
        api: ResidentApi, capsys: pytest.CaptureFixture[str]) -> None:
    email, number = unique_email(), unique_mobile()
    assert run(api, "--email", email) == erase_resident.NOT_FOUND
    assert run(api, "--phone", number) == erase_resident.NOT_FOUND
    assert run(api, "--resident-id", "01JNOSUCHRESIDENT000000000") == erase_resident.NOT_FOUND
    assert "--suppress-only" in capsys.readouterr().err

    wired = bootstrap.services()
    contact = wired.hasher.email(email)
    assert run(api, "--email", email, "--suppress-only", "--dry-run") == erase_resident.ERASED
    assert wired.suppressions.reason(contact.hash) is None
    assert run(api, "--email", email, "--suppress-only", "--yes") == erase_resident.ERASED
    assert wired.suppressions.reason(contact.hash) == "erased"
    assert "receipt: suppressed" in capsys.readouterr().out
    # Signing up with it later and confirming is fresh consent, as in the app: the suppression is lifted then.
    api.signed_up_and_verified(email=email)
    assert wired.suppressions.reason(contact.hash) is None
    captured = capsys.readouterr()
    assert_private(captured.out + captured.err, email, number)


def test_bad_arguments_are_refused(api: ResidentApi, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--email", "a@example.org", "--phone", "07700900123"], [],
                 ["--resident-id", "01J", "--suppress-only"]):
        with pytest.raises(SystemExit) as exited:
            run(api, *argv)
        assert exited.value.code == erase_resident.REFUSED
    assert run(api, "--email", "not an address") == erase_resident.REFUSED
    assert run(api, "--phone", "0909 879 0000") == erase_resident.REFUSED  # premium rate: never a resident's
    assert "not an address" not in capsys.readouterr().err
    assert erase_resident.main(["--prefix", "nosuchprefix", "--region", REGION, "--email", unique_email()]) \
        == erase_resident.REFUSED


def test_an_unconfirmed_claim_on_someone_elses_profile_is_not_erased(
        api: ResidentApi, capsys: pytest.CaptureFixture[str]) -> None:
    # The profile was confirmed by its mobile; the email on it was typed but never confirmed, so it may not be theirs.
    email, number = unique_email(), unique_mobile()
    assert api.post("/v1/signup", signup_body(email=email, phone=number, channels=["sms"])).status_code == 202
    api.pump()
    assert api.post("/v1/verify", {"phone": number, "code": api.code_sent_to(number)}).status_code == 200
    owner = bootstrap.services().store.contact_owner(bootstrap.services().hasher.email(email).hash)
    assert owner is not None and not owner.verified
    assert run(api, "--email", email, "--yes") == erase_resident.REFUSED
    assert bootstrap.services().store.get(str(owner.resident_id)) is not None
    # By the confirmed mobile the profile is theirs, and goes.
    assert run(api, "--phone", number, "--yes") == erase_resident.ERASED
    assert bootstrap.services().store.get(str(owner.resident_id)) is None
    captured = capsys.readouterr()
    assert_private(captured.out + captured.err, email, number)
