"""`python -m infra.backfill_places` against the emulator: location items written before items carried the
resident's places get them, so that pieces count the resident once; nothing a resident changed since is undone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3

from chalicelib import bootstrap
from chalicelib.adapters.models import LocationModel
from chalicelib.domain.geo import location_key
from chalicelib.domain.residents import Location
from infra import backfill_places
from infra.local.emulator import REGION

from .test_resident_store import _everything


def _as_an_older_release_wrote_them(client: Any, table: str, resident_id: str) -> int:
    """Takes `places` and `place` off the resident's location items; answers how many."""
    items = [item for item in LocationModel.scan() if item.resident_id == resident_id]
    for item in items:
        client.update_item(TableName=table, Key={"cell": {"S": item.cell}, "sk": {"S": item.sk}},
                           UpdateExpression="REMOVE places, place")
    return len(items)


def test_older_items_get_their_places_and_a_resident_who_saved_since_keeps_theirs(
        fresh_stack: Callable[..., Any], capsys: Any) -> None:
    prefix = fresh_stack()["prefix"]
    bootstrap.reset()
    store = bootstrap.services().store
    client, table = boto3.client("dynamodb"), f"{prefix}-locations"
    commuter, mover, single = (_everything(f"01BACKFILL00000000000000{n:02d}", None) for n in range(3))
    single = replace(single, locations=single.locations[:1])
    for resident in (commuter, mover, single):
        store.create(resident)
        store.save(resident, resident)  # confirmed: their location items are written
        assert _as_an_older_release_wrote_them(client, table, resident.id) == len(resident.locations)
    # The mover adds a third place after the read the command works from: their newer items must stay as written.
    shop = location_key(52.95, -2.05)
    moved = replace(mover, locations=[*mover.locations, Location("L3", "Shop", 52.95, -2.05, "point",
                                                                 shop.partition, shop.point_cell)])
    stale_read = [store.get(r.id) for r in (commuter, mover, single)]
    store.save(moved, mover)

    assert backfill_places.main(["--prefix", prefix, "--region", REGION, "--dry-run"]) == 0
    assert "location items to check: 5" in capsys.readouterr().out  # the mover's three, read after they saved
    done = backfill_places.backfill(store, [r for r in stale_read if r is not None])
    assert (done.residents, done.with_several, done.filled, done.left) == (3, 2, 2, 2)

    items = {(item.resident_id, item.location_id): item for item in LocationModel.scan()}
    assert [items[(commuter.id, loc)].place for loc in ("L1", "L2")] == [0, 1]
    assert items[(commuter.id, "L1")].places == [f"{52.8066!r},{-2.1167!r}", f"{52.9!r},{-2.0!r}"]
    assert all(len(items[(mover.id, loc)].places or ()) == 3 for loc in ("L1", "L2", "L3"))  # theirs, untouched
    assert items[(single.id, "L1")].places is None
    assert backfill_places.main(["--prefix", prefix, "--region", REGION]) == 0  # again: nothing left to fill
    assert "location items filled: 0" in capsys.readouterr().out
    bootstrap.reset()
