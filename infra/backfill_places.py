"""Add their places to location items written before items carried them, for an operator upgrading a deployment.

A resident with several locations is counted once by an alert's (or a preview's) pieces because each of their
location items carries all their places (domain/audience.py). Items written by an older release lack them until the
resident next saves; until then such a resident is counted once per location inside a target that the pieces read
apart, and an alert released as its pieces go can stay `sending`. Run this once after deploying the release, before
the next alert:

    python -m infra.backfill_places --prefix hexwatch [--region eu-west-2] [--dry-run]

It reads every resident (a Scan of the subscribers table) and, for each with several locations, sets `places` and
`place` on each of their location items that still exists without them (a conditional UpdateItem each: nothing else
on the item changes, and an item the resident rewrote or removed meanwhile is left alone). It can be run again at any
time; a second run fills nothing. Output is counts only: no resident id, address or place is printed.

Exit status: 0 done (or a dry run), 1 the deployment could not be read or written (nothing is half-done: run it
again), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.deployment_args import add_deployment_arguments

FUNCTIONS_DIR = str(Path(__file__).resolve().parents[1] / "functions")
if FUNCTIONS_DIR not in sys.path:
    sys.path.insert(0, FUNCTIONS_DIR)

from chalicelib.adapters.models import ALL_MODELS, bind_tables  # noqa: E402
from chalicelib.adapters.residents_store import ResidentStore  # noqa: E402

if TYPE_CHECKING:
    from chalicelib.domain.residents import Resident

DONE, FAILED, BAD_ARGUMENTS = 0, 1, 2


@dataclass
class Backfill:
    residents: int = 0
    with_several: int = 0
    filled: int = 0
    left: int = 0  # carrying their places already (rewritten by the resident since), or removed

    def lines(self, dry_run: bool) -> list[str]:
        counts = [f"residents read: {self.residents}", f"with several locations: {self.with_several}"]
        if dry_run:  # the items are not read: those that already carry their places are among these
            return [*counts, f"location items to check: {self.filled}"]
        return [*counts, f"location items filled: {self.filled}", f"left as they were (newer): {self.left}"]


def backfill(store: ResidentStore, residents: Iterable[Resident], dry_run: bool = False) -> Backfill:
    done = Backfill()
    for resident in residents:
        done.residents += 1
        if len(resident.locations) < 2:
            continue
        done.with_several += 1
        if dry_run:
            done.filled += len(resident.locations)
            continue
        filled, left = store.fill_missing_places(resident)
        done.filled += filled
        done.left += left
    return done


def main(argv: list[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_deployment_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="count what would be filled, change nothing")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return BAD_ARGUMENTS if stop.code else DONE
    # The store reads its tables' names from the models: point them at the deployment, and back afterwards, since
    # main() may run in-process.
    names = {model: model.Meta.table_name for model in ALL_MODELS.values()}
    bind_tables(args.prefix)
    try:
        store = ResidentStore(client=client or boto3.client("dynamodb", region_name=args.region))
        done = backfill(store, store.every_resident(), args.dry_run)
    except (BotoCoreError, ClientError) as error:
        print(f"could not read or write {args.prefix}'s tables in {args.region}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return FAILED
    finally:
        for model, name in names.items():
            model.Meta.table_name = name
            model._connection = None
    for line in done.lines(args.dry_run):
        print(line)
    return DONE


if __name__ == "__main__":
    sys.exit(main())
