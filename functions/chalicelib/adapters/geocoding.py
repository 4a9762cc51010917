"""Postcode to point. Locally from postcode-district centroids (approximate); in production Amazon Location."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_geo_places import LocationServicePlacesV2Client
else:
    LocationServicePlacesV2Client = Any

DISTRICT_NOTE = ("A postcode district covers several square kilometres, so this point is only approximate. "
                 "Drop a pin on the map or use your location to hear about the right streets.")


@dataclass(frozen=True)
class GeocodedPoint:
    lat: float
    lng: float
    precision: str  # "district" or "postcode"
    note: str | None = None


class Geocoder(Protocol):
    def geocode(self, postcode: str) -> GeocodedPoint | None: ...


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})?$")


def outward_code(postcode: str) -> str | None:
    match = _POSTCODE.match(postcode.strip().upper())
    return match.group(1) if match else None


class OutcodeGeocoder:
    """Postcode districts from a copy of the UK outcode centroids shipped in chalicelib/data."""

    def __init__(self, csv_path: Path) -> None:
        with csv_path.open(newline="", encoding="utf-8") as handle:
            self._centroids = {row["outcode"].upper(): (float(row["latitude"]), float(row["longitude"]))
                               for row in csv.DictReader(handle) if row["latitude"] and row["longitude"]}

    def geocode(self, postcode: str) -> GeocodedPoint | None:
        outcode = outward_code(postcode)
        if outcode is None or outcode not in self._centroids:
            return None
        lat, lng = self._centroids[outcode]
        return GeocodedPoint(lat, lng, "district", DISTRICT_NOTE)


class AmazonLocationGeocoder:
    """Amazon Location Service Places v2 `Geocode`, limited to the UK and to postal codes."""

    def __init__(self, client: LocationServicePlacesV2Client, api_key: str | None = None) -> None:
        self._client = client
        self._api_key = api_key

    def geocode(self, postcode: str) -> GeocodedPoint | None:
        request: dict[str, Any] = {
            "QueryComponents": {"Country": "GBR", "PostalCode": postcode.strip().upper()},
            "MaxResults": 1,
            "Filter": {"IncludeCountries": ["GBR"], "IncludePlaceTypes": ["PostalCode"]},
            "Language": "en",
        }
        if self._api_key:
            request["Key"] = self._api_key
        items = self._client.geocode(**request).get("ResultItems", [])
        if not items or "Position" not in items[0]:
            return None
        lng, lat = items[0]["Position"]
        match = _POSTCODE.match(postcode.strip().upper())
        full = bool(match and match.group(2))
        return GeocodedPoint(float(lat), float(lng), "postcode" if full else "district",
                             None if full else DISTRICT_NOTE)
