"""Recount the dashboard's running totals from the residents themselves, for an operator with AWS credentials.

    python -m infra.recount_stats --prefix hexwatch [--region eu-west-2]

The dashboard's counters follow the residents table's stream (docs/architecture.md, "The force dashboard"). A stream
record that fails every retry goes to `<prefix>-stats-dlq` (its alarm fires), and the counts are then short by it. This
reads every resident once (a Scan, an operator's job, never a request's) and sets each force's totals (members and
verified contacts by area, channel, category and watch scheme) to what it finds. The weeks' joined and left are history
and stay as they are. Run it at a quiet time: a change made during the run may be counted twice or not at all until
the next run. It prints counts per force only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from infra.deployment_args import add_deployment_arguments

FUNCTIONS_DIR = str(Path(__file__).resolve().parents[1] / "functions")


def profile(resident: Any) -> dict[str, Any]:
    """A Resident as the stream's image reads (the fields domain/stats.py counts)."""
    return {"status": resident.status, "channels": resident.channels, "categories": resident.categories,
            "groups": resident.groups,
            "locations": [{"lat": place.lat, "lng": place.lng} for place in resident.locations],
            "contacts": [{"kind": c.kind, "verified_at": c.verified_at} for c in resident.contacts]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_deployment_arguments(parser)
    args = parser.parse_args(argv)
    os.environ["HEXWATCH_PREFIX"] = args.prefix
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region
    if FUNCTIONS_DIR not in sys.path:
        sys.path.insert(0, FUNCTIONS_DIR)
    from chalicelib import bootstrap

    bootstrap.reset()
    residents = (profile(resident) for resident in bootstrap.services().store.every_resident())
    organisations = [o.id for o in bootstrap.officer_registry().organisations()]
    members = bootstrap.stats_service().recount(residents, organisations)
    for organisation, count in sorted(members.items()):
        print(f"{organisation}: {count} members")
    return 0


if __name__ == "__main__":
    sys.exit(main())
