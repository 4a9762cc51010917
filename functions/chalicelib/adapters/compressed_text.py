"""A text attribute stored compressed, so that a large GeoJSON geometry fits in one DynamoDB item (400 KB at most).

The model still reads and writes a `str`; only DynamoDB sees the zlib bytes. A force boundary of 50,000 positions is
about 1.2 MB as JSON text and about 0.36 MB compressed, even when the last digits are noise.
"""

from __future__ import annotations

import zlib

from pynamodb.attributes import Attribute
from pynamodb.constants import BINARY

# DynamoDB's item limit is 400 KB including the attribute names and the other attributes; this leaves room for them.
MAX_STORED_BYTES = 380_000


class CompressedTextAttribute(Attribute[str]):
    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return compressed(value)

    def deserialize(self, value: bytes) -> str:
        return zlib.decompress(value).decode("utf-8")


def compressed(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)
