"""Demo data for the local stack: the Staffordshire demo force, its areas around the towns, and verified residents.

The areas are approximate (a 12-sided ring around each town centre), good for trying targeting, never for real use.
Residents are written through the app's own store, so they are keyed, hashed and indexed exactly as real ones.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from typing import Any

import boto3

DEMO_FORCE = {"id": "staffordshire", "name": "Staffordshire Police (demo)"}

# Town centre (lat, lng) and a rough radius in km.
DEMO_TOWNS: dict[str, tuple[float, float, float]] = {
    "Stafford": (52.8066, -2.1167, 4.0),
    "Stoke-on-Trent": (53.0027, -2.1794, 7.0),
    "Newcastle-under-Lyme": (53.0109, -2.2278, 3.5),
    "Burton upon Trent": (52.8019, -1.6370, 4.0),
    "Tamworth": (52.6339, -1.6958, 4.0),
    "Lichfield": (52.6816, -1.8317, 3.0),
    "Cannock": (52.6910, -2.0270, 3.5),
    "Leek": (53.1050, -2.0230, 2.5),
}

# A rough outline of the county (lng, lat), anticlockwise: the demo force's boundary and the "whole force" target.
DEMO_BOUNDARY = [[-2.47, 52.42], [-1.50, 52.55], [-1.50, 52.90], [-1.77, 53.00], [-1.83, 53.22], [-2.05, 53.23],
                 [-2.42, 53.05], [-2.45, 52.80], [-2.47, 52.42]]

CHANNEL_MIXES = [["email"], ["email", "sms"], ["sms"], ["email", "sms", "voice"], ["email", "push"]]
CATEGORY_MIXES = [["crime"], ["crime", "neighbourhood"], ["crime", "rural"], ["crime", "business"],
                  ["neighbourhood"]]
GROUP_MIXES = [[], [], ["dog_walkers"], ["farm", "horse"], ["cctv"], ["church"], ["school"], ["canal", "cycle"]]
LANGUAGES = ["en"] * 12 + ["cy", "pl", "ur", "pa"]


def ring(lat: float, lng: float, radius_km: float, sides: int = 12) -> list[list[float]]:
    """A closed, anticlockwise GeoJSON ring approximating a circle."""
    points = []
    for step in range(sides):
        angle = 2 * math.pi * step / sides
        d_lat = radius_km / 111.32 * math.sin(angle)
        d_lng = radius_km / (111.32 * math.cos(math.radians(lat))) * math.cos(angle)
        points.append([round(lng + d_lng, 6), round(lat + d_lat, 6)])
    return [*points, points[0]]


def demo_areas() -> dict[str, Any]:
    """The demo force's boundary and local policing areas, as a GeoJSON FeatureCollection for POST /v1/areas."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "boundary", "properties": {"name": DEMO_FORCE["name"]},
             "geometry": {"type": "Polygon", "coordinates": [DEMO_BOUNDARY]}},
            *({"type": "Feature", "id": name.lower().replace(" ", "-"), "properties": {"name": name},
               "geometry": {"type": "Polygon", "coordinates": [ring(lat, lng, radius)]}}
              for name, (lat, lng, radius) in DEMO_TOWNS.items()),
        ],
    }


def seed_demo_areas() -> list[str]:
    """Sets the demo boundary as the platform operator would, then imports the town areas as the demo admin would,
    both through the app's own checks."""
    from chalicelib.bootstrap import area_service
    from chalicelib.domain.officers import Officer, Operator, Role

    organisation = str(DEMO_FORCE["id"])
    features = demo_areas()["features"]
    boundary = next(feature for feature in features if feature["id"] == "boundary")
    area_service().set_boundary(Operator(sub="demo-seed", username="demo-seed"), organisation, boundary["geometry"])
    admin = Officer(sub="demo-seed", username="demo-seed", organisation=organisation, role=Role.ADMIN,
                    whole_organisation=True)
    towns = {"type": "FeatureCollection", "features": [f for f in features if f["id"] != "boundary"]}
    return ["boundary", *area_service().import_areas(admin, towns)["imported"]]


def seed_demo_residents(count: int = 160, seed: int = 2026) -> dict[str, Any]:
    """Verified residents spread around the towns; their addresses are on the reserved example domain."""
    from chalicelib.adapters.messaging import SnsPushRegistry
    from chalicelib.bootstrap import services
    from chalicelib.domain.contacts import ContactKind
    from chalicelib.domain.geo import location_key
    from chalicelib.domain.residents import ACTIVE, Consent, ContactRecord, Device, Location, Resident
    from chalicelib.services.residents import iso

    wired = services()
    store = wired.store
    push = SnsPushRegistry(boto3.client("sns"), json.loads(os.environ.get("HEXWATCH_PUSH_PLATFORMS") or "{}"))
    rng = random.Random(seed)
    now = iso(time.time())
    towns = list(DEMO_TOWNS.items())
    for index in range(count):
        town, (lat, lng, radius) = towns[index % len(towns)]
        distance, bearing = radius * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        point_lat = lat + distance / 111.32 * math.sin(bearing)
        point_lng = lng + distance / (111.32 * math.cos(math.radians(lat))) * math.cos(bearing)
        channels = CHANNEL_MIXES[index % len(CHANNEL_MIXES)]
        categories = CATEGORY_MIXES[rng.randrange(len(CATEGORY_MIXES))]
        contacts = []
        if "email" in channels:
            contact = wired.hasher.email(f"demo-resident-{index:03d}@hexwatch.example")
            contacts.append(ContactRecord(ContactKind.EMAIL.value, contact.address, contact.hash, now))
        if {"sms", "voice"} & set(channels):
            contact = wired.hasher.mobile(f"+44740{9_000_000 + index:07d}")
            contacts.append(ContactRecord(ContactKind.MOBILE.value, contact.address, contact.hash, now))
        key = location_key(point_lat, point_lng)
        resident_id = f"01DEMO{index:020d}"
        resident = Resident(
            id=resident_id, status=ACTIVE, language=LANGUAGES[rng.randrange(len(LANGUAGES))], channels=channels,
            categories=categories, business_sectors=["retail"] if "business" in categories else [],
            groups=GROUP_MIXES[rng.randrange(len(GROUP_MIXES))],
            locations=[Location(f"L{index:04d}", f"Home ({town})", round(point_lat, 6), round(point_lng, 6),
                                "point", key.partition, key.point_cell)],
            contacts=contacts, consent=Consent("demo", now), created_at=now, updated_at=now, name=None,
            devices=[Device(f"D{index:04d}", "fcm", f"demo-device-token-{index:04d}",
                            push.register("fcm", f"demo-device-token-{index:04d}", resident_id), "Demo phone", now)]
            if "push" in channels else [])
        if store.contact_owner(contacts[0].hash):
            continue  # seeded already (the emulator was reused)
        store.create(resident)  # claims the contacts, marked verified
        store.save(resident, None)  # writes the targeting items
    return {"residents": count, "towns": list(DEMO_TOWNS)}
