"""CAP 1.2 messages for the tests: a builder for valid ones, and the hostile XML a partner endpoint must refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape


def cap_message(identifier: str = "SBC-2026-0042", *, sender: str = "alerts@stafford.gov.uk",
                msg_type: str = "Alert", status: str = "Actual", references: str | None = None,
                infos: list[str] | None = None, incidents: str | None = None, sent: datetime | None = None) -> bytes:
    sent_text = (sent or datetime.now(UTC)).replace(microsecond=0).isoformat()
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">',
             f"<identifier>{escape(identifier)}</identifier>", f"<sender>{escape(sender)}</sender>",
             f"<sent>{sent_text}</sent>", f"<status>{status}</status>", f"<msgType>{msg_type}</msgType>",
             "<scope>Public</scope>"]
    if references:
        parts.append(f"<references>{escape(references)}</references>")
    if incidents:
        parts.append(f"<incidents>{escape(incidents)}</incidents>")
    parts.extend([info()] if infos is None else infos)
    parts.append("</alert>")
    return "\n".join(parts).encode("utf-8")


def info(*, headline: str = "Bin lorry thefts in Stafford", language: str = "en-GB", category: str = "Security",
         description: str = "Two council vehicles were taken overnight. Call 101 if you saw anything.",
         areas: list[str] | None = None, parameters: dict[str, str] | None = None, urgency: str = "Expected",
         severity: str = "Moderate", web: str | None = "https://www.staffordbc.gov.uk/alerts",
         contact: str | None = "Stafford Borough Council, 01785 619000", expires: datetime | None = None,
         effective: datetime | None = None) -> str:
    parts = ["<info>", f"<language>{language}</language>", f"<category>{category}</category>",
             "<event>Vehicle theft</event>", "<responseType>Monitor</responseType>",
             f"<urgency>{urgency}</urgency>", f"<severity>{severity}</severity>", "<certainty>Observed</certainty>"]
    if effective:
        parts.append(f"<effective>{effective.replace(microsecond=0).isoformat()}</effective>")
    if expires:
        parts.append(f"<expires>{expires.replace(microsecond=0).isoformat()}</expires>")
    parts += [f"<headline>{escape(headline)}</headline>", f"<description>{escape(description)}</description>"]
    if web:
        parts.append(f"<web>{escape(web)}</web>")
    if contact:
        parts.append(f"<contact>{escape(contact)}</contact>")
    for name, value in (parameters or {}).items():
        parts.append(f"<parameter><valueName>{name}</valueName><value>{escape(value)}</value></parameter>")
    parts.extend(areas if areas is not None else [circle_area(52.8066, -2.1167, 1.0)])
    parts.append("</info>")
    return "".join(parts)


def circle_area(lat: float, lon: float, radius_km: float, description: str = "Stafford town centre") -> str:
    return f"<area><areaDesc>{description}</areaDesc><circle>{lat},{lon} {radius_km}</circle></area>"


def polygon_area(points: list[tuple[float, float]], description: str = "Drawn area") -> str:
    text = " ".join(f"{lat},{lon}" for lat, lon in points)
    return f"<area><areaDesc>{description}</areaDesc><polygon>{text}</polygon></area>"


def named_area(area_id: str) -> str:
    return (f"<area><areaDesc>{area_id}</areaDesc><geocode><valueName>hexwatch:area</valueName>"
            f"<value>{area_id}</value></geocode></area>")


def in_an_hour() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://169.254.169.254/latest/meta-data/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>"""

HOSTILE = {"billion laughs": BILLION_LAUGHS, "external entity": EXTERNAL_ENTITY, "external DTD": EXTERNAL_DTD,
           "parameter entity": PARAMETER_ENTITY}
