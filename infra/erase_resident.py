"""Erase a resident on request (UK GDPR Article 17), for an operator with AWS credentials for the deployment.

A resident who is signed in erases themselves (DELETE /v1/me). One who writes or phones the force cannot always sign
in, so an operator finds them by the contact they give and erases them through the same service method:

    python -m infra.erase_resident --prefix hexwatch [--region eu-west-2] --email jo@example.org
    python -m infra.erase_resident --prefix hexwatch --phone 07700900123 --dry-run
    python -m infra.erase_resident --prefix hexwatch --resident-id 01J... --yes
    python -m infra.erase_resident --prefix hexwatch --email jo@example.org --suppress-only
    python -m infra.erase_resident --prefix hexwatch --phone -        (asks for the number, not echoed)

`-` for --email or --phone reads the contact from the terminal without echoing it (or from the first line of stdin
when that is not a terminal), so that it stays out of the shell's history and the process list.

The contact is normalised and hashed exactly as signup does (the deployment's contact-hash key, from Secrets
Manager), and the resident is found through the contacts table. What would be erased is shown with every address
masked; nothing prints or logs an address or number in full. It asks for confirmation unless --yes, and refuses
without --yes when stdin is not a terminal. The erasure removes the profile, the contact items, the location items,
the open sessions and the push endpoints, blanks the delivery ledger entries to tombstones (each keeps only its keys,
the contact's keyed hash and its expiry, so that an alert being sent still counts it), and leaves only the contacts'
keyed hashes on the suppression list (reason `erased`). It ends with a one-line receipt to keep with the request.

A contact nobody holds: `--suppress-only` puts its hash on the suppression list, so nothing is sent to it until
someone signs up with it and confirms it again (fresh consent lifts an `erased` suppression, as in the app).

Exit status: 0 erased (or suppressed, or a dry run that would have), 1 no such resident, 2 bad arguments or refused,
3 the erasure failed part-way or left something of the resident behind (run it again; see the message).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import boto3

from infra.deployment_args import add_deployment_arguments

if TYPE_CHECKING:
    from chalicelib.bootstrap import Services
    from chalicelib.domain.contacts import Contact, ContactHasher
    from chalicelib.domain.residents import Resident

FUNCTIONS_DIR = str(Path(__file__).resolve().parents[1] / "functions")

ERASED, NOT_FOUND, REFUSED, INCOMPLETE = 0, 1, 2, 3
CONFIRMATION_WORD = "erase"
# What the command points the app's wiring at for its run, and puts back afterwards (main() may run in-process).
WIRING_ENV = ("HEXWATCH_PREFIX", "HEXWATCH_SMS_COUNTRIES", "AWS_REGION", "AWS_DEFAULT_REGION")


@dataclass(frozen=True)
class Holdings:
    """What the deployment holds about one resident, counted before anything is changed."""

    resident: Resident
    owned: list[str]  # hashes of the contacts whose contact items are theirs: deleted and suppressed by erasure
    sessions: int
    deliveries: int

    def counts(self) -> dict[str, int]:
        return {"contacts": len(self.resident.contacts), "locations": len(self.resident.locations),
                "devices": len(self.resident.devices), "sessions": self.sessions, "deliveries": self.deliveries,
                "suppressed": len(self.owned)}


class Unreachable(Exception):
    """The deployment's secrets or tables could not be reached with these settings and credentials."""


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def out(line: str = "") -> None:
    print(line, flush=True)


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def deployment(prefix: str, region: str, sms_countries: str | None) -> Iterator[Services]:
    """The app's own wiring (bootstrap.services()) pointed at one deployment for the length of the command.

    The app reads its deployment from the environment, so the command sets those variables, and puts them back and
    forgets the wiring afterwards, so that running main() in a test or a shell session leaves nothing behind.
    """
    if FUNCTIONS_DIR not in sys.path:
        sys.path.insert(0, FUNCTIONS_DIR)
    from chalicelib import bootstrap

    saved = {name: os.environ.get(name) for name in WIRING_ENV}
    os.environ["HEXWATCH_PREFIX"] = prefix
    # boto3 reads AWS_DEFAULT_REGION, PynamoDB's models the region bootstrap gives them from AWS_REGION.
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    if sms_countries is not None:
        os.environ["HEXWATCH_SMS_COUNTRIES"] = sms_countries
    bootstrap.reset()
    try:
        try:
            wired = bootstrap.services()
        except Exception as error:  # a wrong prefix or region, or credentials that cannot read the secrets
            raise Unreachable(f"cannot wire the app to {prefix} in {region}: {type(error).__name__}: {error}") \
                from error
        yield wired
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        bootstrap.reset()


def contact_of(hasher: ContactHasher, email: str | None, phone: str | None) -> Contact:
    """The contact as signup normalises and hashes it (the domain's own code, never a copy)."""
    from chalicelib.domain.errors import HexwatchError

    if email is not None:
        return hasher.email(email, "--email")
    assert phone is not None
    try:
        return hasher.mobile(phone, "--phone")
    except HexwatchError:
        # A resident may have given only a landline (voice alerts). Both give the same E.164 form, so the same hash:
        # the fallback only widens which numbers are accepted, never what a number hashes to.
        return hasher.landline(phone, "--phone")


def read_contact(what: str) -> str:
    """A contact given as `-`: typed at the terminal unechoed, else the first line of stdin."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{what} (not shown): ")
    return sys.stdin.readline().strip()


def masked(contact_kind: str, address: str) -> str:
    from chalicelib.domain.contacts import mask

    return mask(contact_kind, address)


def ledger_entries(prefix: str, contacts: list[str]) -> int:
    """How many delivery ledger entries of these contacts still hold something of the resident (tombstones, what an
    earlier erasure left, hold only the hash and are not counted): counted through the same by-contact index that the
    erasure goes through, a page at a time (DeliveryLedger.alerts_for_contact reads only the first page)."""
    from chalicelib import config

    client = boto3.client("dynamodb")
    paginator = client.get_paginator("query")
    total = 0
    for contact in contacts:
        for page in paginator.paginate(TableName=config.resource_name(config.DELIVERIES_TABLE, prefix),
                                       IndexName="by-contact", KeyConditionExpression="contact = :c",
                                       ExpressionAttributeValues={":c": {"S": contact}}, Select="COUNT",
                                       # what a tombstone lacks (adapters/ledger.py): a resident and a status
                                       FilterExpression="attribute_exists(resident_id) OR attribute_exists(#s)",
                                       ExpressionAttributeNames={"#s": "status"}):
            total += int(page.get("Count", 0))
    return total


def open_sessions(resident_id: str) -> int:
    from chalicelib.adapters.models import ResidentSessionModel

    return int(ResidentSessionModel.count(resident_id, consistent_read=True))


def holdings(services: Services, prefix: str, resident: Resident) -> Holdings:
    owned = [c.hash for c in resident.contacts
             if (owner := services.store.contact_owner(c.hash)) is not None and owner.resident_id == resident.id]
    # The same contacts ResidentService.erase hands to the ledger: each contact's hash, and the resident's pushes.
    ledger_contacts = [c.hash for c in resident.contacts] + [f"push:{resident.id}"]
    return Holdings(resident, owned, open_sessions(resident.id), ledger_entries(prefix, ledger_contacts))


def describe(held: Holdings) -> None:
    resident = held.resident
    out(f"Resident {resident.id}: {resident.status}, signed up {resident.created_at}, "
        f"last changed {resident.updated_at}")
    for record in resident.contacts:
        state = "confirmed" if record.verified_at else "not confirmed"
        out(f"  contact: {record.kind} {masked(record.kind, record.address)} ({state})")
    counts = held.counts()
    out(f"  locations: {counts['locations']}, push devices: {counts['devices']}, open sessions: {counts['sessions']}, "
        f"delivery ledger entries: {counts['deliveries']}")
    out(f"  contacts to put on the suppression list: {counts['suppressed']}")


def confirmed(question: str, assume_yes: bool, stdin: TextIO) -> bool | None:
    """True to go on, False if the operator said no; None when nobody can be asked (not a terminal, no --yes)."""
    if assume_yes:
        return True
    if not stdin.isatty():
        return None
    sys.stdout.write(f"{question} Type '{CONFIRMATION_WORD}' to go on: ")
    sys.stdout.flush()
    return stdin.readline().strip().lower() == CONFIRMATION_WORD


def ask(question: str, assume_yes: bool) -> int | None:
    """None to go on; otherwise the exit status of a refusal, already explained."""
    answer = confirmed(question, assume_yes, sys.stdin)
    if answer is None:
        err("refused: stdin is not a terminal, so nobody can confirm; give --yes to erase without asking")
        return REFUSED
    if not answer:
        err("not confirmed: nothing was changed")
        return REFUSED
    return None


def find(services: Services, args: argparse.Namespace) -> tuple[Contact | None, Resident | None, Any]:
    """(the contact given, its resident if any, the contact item if any)."""
    if args.resident_id:
        return None, services.store.get(args.resident_id), None
    contact = contact_of(services.hasher, args.email, args.phone)
    owner = services.store.contact_owner(contact.hash)
    resident = services.store.get(str(owner.resident_id)) if owner is not None else None
    return contact, resident, owner


def suppress_only(services: Services, contact: Contact, args: argparse.Namespace) -> int:
    shown = masked(contact.kind, contact.address)
    reason = services.suppressions.reason(contact.hash)
    if reason is not None:
        # A bounce or complaint is kept as it is: it says more than `erased`, and verifying again does not lift it.
        out(f"{contact.kind} {shown} is already on the suppression list (reason {reason}): nothing to do")
        return ERASED
    out(f"No resident holds {contact.kind} {shown}; its keyed hash would go on the suppression list (reason erased).")
    if args.dry_run:
        out("dry run: nothing was changed")
        return ERASED
    if (refusal := ask(f"Suppress {shown}?", args.yes)) is not None:
        return refusal
    at = now_iso()
    services.suppressions.suppress(contact.hash, "erased", at)
    out(f"receipt: suppressed contact={contact.kind}:{shown} at={at} reason=erased resident=none")
    return ERASED


def left_behind(services: Services, held: Holdings) -> list[str]:
    """What of the resident is still there after the erasure. The ledger is not checked: its by-contact index is
    eventually consistent, so a count straight after the tombstones were written could still see the entries."""
    resident_id = held.resident.id
    left = []
    if services.store.get(resident_id) is not None:
        left.append("profile")
    if any((owner := services.store.contact_owner(h)) is not None and owner.resident_id == resident_id
           for h in held.owned):
        left.append("contact items")
    if open_sessions(resident_id):
        left.append("sessions")
    if any(services.suppressions.reason(h) != "erased" for h in held.owned):
        left.append("suppressions missing")
    return left


def erase(services: Services, prefix: str, resident: Resident, args: argparse.Namespace) -> int:
    held = holdings(services, prefix, resident)
    describe(held)
    out("Erasure removes the profile, its contact and location items, open sessions and push endpoints, leaves of "
        "each delivery ledger entry only its keys and the contact's keyed hash, and keeps only the contacts' keyed "
        "hashes on the suppression list (reason erased).")
    if args.dry_run:
        out("dry run: nothing was changed")
        return ERASED
    if (refusal := ask(f"Erase resident {resident.id}?", args.yes)) is not None:
        return refusal
    try:
        # The very method DELETE /v1/me calls (api/account.py), so both erasures remove the same things.
        services.residents.erase(resident)
    except Exception as error:  # throttled or refused part-way: say what to do rather than show a traceback
        err(f"erasure of {resident.id} failed part-way ({type(error).__name__}); nothing is lost by running the "
            f"command again with --resident-id {resident.id}")
        return INCOMPLETE
    at = now_iso()
    counts = " ".join(f"{name}={value}" for name, value in held.counts().items())
    if left := left_behind(services, held):
        err(f"erasure of {resident.id} incomplete at {at}: still found {', '.join(left)}; run the command again "
            f"with --resident-id {resident.id}")
        return INCOMPLETE
    out(f"receipt: erased resident={resident.id} at={at} prefix={prefix} {counts}")
    return ERASED


def run(services: Services, prefix: str, args: argparse.Namespace) -> int:
    from chalicelib.domain.errors import HexwatchError

    try:
        contact, resident, owner = find(services, args)
    except HexwatchError as error:
        # The domain's messages name the field, never the value given.
        err(f"refused: {error.message} ({'; '.join(f'{e.pointer} {e.message}' for e in error.errors)})")
        if args.phone is not None and args.sms_countries is None:
            err("  a number outside GB needs --sms-countries, set as the deployment's HEXWATCH_SMS_COUNTRIES")
        return REFUSED
    if contact is None:
        if resident is None:
            err(f"no resident {args.resident_id} in {prefix}")
            return NOT_FOUND
        return erase(services, prefix, resident, args)
    shown = f"{contact.kind} {masked(contact.kind, contact.address)}"
    if resident is None:
        if args.suppress_only:
            return suppress_only(services, contact, args)
        reason = services.suppressions.reason(contact.hash)
        already = f" (already on the suppression list, reason {reason})" if reason else ""
        err(f"no resident holds {shown} in {prefix}{already}; --suppress-only puts its hash on the suppression list")
        return NOT_FOUND
    if args.suppress_only:
        err(f"refused: {shown} belongs to resident {resident.id}; erase them (without --suppress-only)")
        return REFUSED
    if not owner.verified and any(c.verified_at for c in resident.contacts):
        # An unconfirmed claim on a profile confirmed through another contact: whoever confirmed that contact owns the
        # profile, and the address given may be their typo. Erasing on the word of the address's holder could erase
        # someone else. (A profile with nothing confirmed is an unfinished signup, which is erased as it stands.)
        err(f"refused: {shown} is an unconfirmed contact of resident {resident.id}, whose profile was confirmed "
            "through another contact; ask the requester for that contact and erase by it, or by --resident-id once "
            "the profile is shown to be theirs")
        return REFUSED
    out(f"Found by {shown}.")
    return erase(services, prefix, resident, args)


def parser() -> argparse.ArgumentParser:
    parsing = argparse.ArgumentParser(prog="python -m infra.erase_resident", description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    add_deployment_arguments(parsing)
    parsing.add_argument("--sms-countries", help="the deployment's HEXWATCH_SMS_COUNTRIES, if not GB "
                                                 "(numbers elsewhere are refused, as at signup)")
    who = parsing.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the address the resident signed up with ('-': ask for it)")
    who.add_argument("--phone", help="the mobile or landline the resident signed up with ('-': ask for it)")
    who.add_argument("--resident-id", help="the resident's id, when it is already known")
    parsing.add_argument("--dry-run", action="store_true", help="show what would be erased; change nothing")
    parsing.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parsing.add_argument("--suppress-only", action="store_true",
                         help="for a contact no resident holds: put its hash on the suppression list")
    return parsing


def main(argv: list[str] | None = None) -> int:
    parsing = parser()
    args = parsing.parse_args(argv)
    if args.suppress_only and args.resident_id:
        parsing.error("--suppress-only needs --email or --phone")
    if args.email == "-":
        args.email = read_contact("email address")
    if args.phone == "-":
        args.phone = read_contact("phone number")
    try:
        with deployment(args.prefix, args.region, args.sms_countries) as services:
            return run(services, args.prefix, args)
    except Unreachable as error:
        err(f"refused: {error}")
        return REFUSED


if __name__ == "__main__":
    sys.exit(main())
