"""Manage organisations and the officer registry: who may send alerts for which force, with which role and areas.

Through the officers' API, as a force admin (their own force's people) or a platform operator (organisations,
boundaries, and anyone's entry):

    python -m infra.officers list [--organisation ORG]                        --api URL --token TOKEN
    python -m infra.officers set pc.jones@force.example --role officer --areas stafford,leek
    python -m infra.officers set sgt.khan@force.example --role supervisor --whole-organisation
    python -m infra.officers remove pc.jones@force.example
    python -m infra.officers add-organisation west-mercia --name "West Mercia Police"   (operator)
    python -m infra.officers set-boundary west-mercia boundary.geojson                 (operator)

Partner agencies (docs/partners.md), as the host force's admin (an operator adds --host-force):

    python -m infra.officers partners
    python -m infra.officers set-partner stafford-council --name "Stafford Borough Council" --type council \
        --categories crime,neighbourhood --channels email,sms --areas stafford --trust moderated
    python -m infra.officers add-secret stafford-council        (prints the new secret once)
    python -m infra.officers revoke-secret stafford-council SECRET_ID

With --state-file .local/stack.json --user demo-admin@hexwatch.example the address and a token come from the local
stack. The user must already exist in the officers' user pool (AdminCreateUser, with TOTP enrolled at first sign-in).

The first platform operator cannot be made through the API (nobody could authorise it); an AWS administrator writes
their registry entry with the stack's AWS credentials:

    python -m infra.officers bootstrap-operator ops@hexwatch.example --pool-id eu-west-2_XXXX --prefix hexwatch

Every change made through the API is written to the organisation's audit log.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from infra.officer_api import add_connection_arguments, call, connection, print_refusal

FUNCTIONS_DIR = str(Path(__file__).resolve().parents[1] / "functions")


def geometry_of(path: Path) -> dict[str, Any]:
    """A Polygon or MultiPolygon from a GeoJSON file holding a geometry, a Feature or a one-feature collection."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("type") == "FeatureCollection":
        features = document.get("features") or []
        if len(features) != 1:
            raise SystemExit(f"{path} holds {len(features)} features; a boundary is one")
        document = features[0]
    if document.get("type") == "Feature":
        document = document.get("geometry") or {}
    return dict(document)


def bootstrap_operator(username: str, pool_id: str, prefix: str) -> int:
    """Writes the first platform operator's registry entry straight into the table (AWS credentials needed)."""
    sys.path.insert(0, FUNCTIONS_DIR)
    from chalicelib.adapters.officer_registry import CognitoDirectory, OfficerRegistry
    from chalicelib.domain.officers import OPERATOR, RegistryEntry

    sub = CognitoDirectory(boto3.client("cognito-idp"), pool_id).sub_of(username)
    if sub is None:
        print(f"{username} is not a user of {pool_id}: create them first", file=sys.stderr)
        return 1
    registry = OfficerRegistry(boto3.client("dynamodb"), f"{prefix}-officers", f"{prefix}-organisations")
    registry.put_entry(RegistryEntry(sub=sub, username=username, organisation="", role=OPERATOR,
                                     updated_by="bootstrap-operator",
                                     updated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    print(f"{username} is a platform operator of {prefix}")
    return 0


def partner_entry(args: argparse.Namespace) -> dict[str, Any]:
    def listed(text: str) -> list[str]:
        return [part.strip() for part in text.split(",") if part.strip()]

    entry: dict[str, Any] = {"name": args.name, "partner_type": args.partner_type,
                             "categories": listed(args.categories), "channels": listed(args.channels),
                             "trust": args.trust}
    if args.whole_force:
        entry["whole_force"] = True
    else:
        entry["areas"] = listed(args.areas)
    if args.host_force:
        entry["host_force"] = args.host_force
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_arguments(parser, "an admin's or platform operator's ID token")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="the registry of one organisation")
    listing.add_argument("--organisation")
    setting = commands.add_parser("set", help="create or replace one person's entry")
    setting.add_argument("username")
    setting.add_argument("--role", required=True, choices=["volunteer", "officer", "supervisor", "admin"])
    scope = setting.add_mutually_exclusive_group(required=True)
    scope.add_argument("--areas", help="comma-separated area ids")
    scope.add_argument("--whole-organisation", action="store_true")
    setting.add_argument("--organisation", help="required for platform operators")
    removing = commands.add_parser("remove", help="remove one person's entry (they can no longer act)")
    removing.add_argument("username")
    adding = commands.add_parser("add-organisation", help="register or rename an organisation (operator)")
    adding.add_argument("organisation")
    adding.add_argument("--name", required=True)
    bounding = commands.add_parser("set-boundary", help="set an organisation's boundary from GeoJSON (operator)")
    bounding.add_argument("organisation")
    bounding.add_argument("file", type=Path)
    partners = commands.add_parser("partners", help="the partner agencies of a force")
    partners.add_argument("--host-force", help="required for platform operators")
    partner = commands.add_parser("set-partner", help="register a partner agency or change what it may send")
    partner.add_argument("partner_id")
    partner.add_argument("--name", required=True)
    partner.add_argument("--type", required=True, dest="partner_type",
                         choices=["council", "fraud", "crimestoppers", "watch_scheme", "fire_rescue", "other"])
    partner.add_argument("--categories", required=True, help="comma-separated")
    partner.add_argument("--channels", required=True, help="comma-separated")
    reach = partner.add_mutually_exclusive_group(required=True)
    reach.add_argument("--areas", help="comma-separated area ids of the host force")
    reach.add_argument("--whole-force", action="store_true")
    partner.add_argument("--trust", choices=["trusted", "moderated"], default="moderated")
    partner.add_argument("--host-force", help="required for platform operators")
    secret = commands.add_parser("add-secret", help="make a signing secret for a partner (shown once)")
    secret.add_argument("partner_id")
    revoke = commands.add_parser("revoke-secret", help="revoke one of a partner's signing secrets")
    revoke.add_argument("partner_id")
    revoke.add_argument("secret_id")
    first = commands.add_parser("bootstrap-operator", help="make the first platform operator (AWS credentials)")
    first.add_argument("username")
    first.add_argument("--pool-id", required=True)
    first.add_argument("--prefix", default="hexwatch")
    args = parser.parse_args(argv)
    if args.command == "bootstrap-operator":
        return bootstrap_operator(args.username, args.pool_id, args.prefix)
    api, token = connection(parser, args)

    if args.command == "list":
        query = f"?organisation={args.organisation}" if args.organisation else ""
        status, body = call(api, token, "GET", f"/v1/officers{query}")
    elif args.command == "set":
        entry: dict[str, Any] = {"role": args.role}
        if args.whole_organisation:
            entry["whole_organisation"] = True
        else:
            entry["areas"] = [area.strip() for area in args.areas.split(",") if area.strip()]
        if args.organisation:
            entry["organisation"] = args.organisation
        status, body = call(api, token, "PUT", f"/v1/officers/{args.username}", entry)
    elif args.command == "remove":
        status, body = call(api, token, "DELETE", f"/v1/officers/{args.username}")
    elif args.command == "partners":
        query = f"?host_force={args.host_force}" if args.host_force else ""
        status, body = call(api, token, "GET", f"/v1/partners{query}")
    elif args.command == "set-partner":
        status, body = call(api, token, "PUT", f"/v1/partners/{args.partner_id}", partner_entry(args))
    elif args.command == "add-secret":
        status, body = call(api, token, "POST", f"/v1/partners/{args.partner_id}/secrets", {})
    elif args.command == "revoke-secret":
        status, body = call(api, token, "DELETE", f"/v1/partners/{args.partner_id}/secrets/{args.secret_id}")
    elif args.command == "add-organisation":
        status, body = call(api, token, "PUT", f"/v1/organisations/{args.organisation}", {"name": args.name})
    else:
        status, body = call(api, token, "PUT", f"/v1/organisations/{args.organisation}/boundary",
                            {"geometry": geometry_of(args.file)})
    if status < 300:
        print(json.dumps(body, indent=2) if body else "done")
        return 0
    return print_refusal(status, body)


if __name__ == "__main__":
    sys.exit(main())
