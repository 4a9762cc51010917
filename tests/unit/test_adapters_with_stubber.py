"""The exact AWS requests of the production adapters, checked with botocore's Stubber (no emulator needed)."""

from __future__ import annotations

import email
from email import policy

import boto3
from botocore.stub import ANY, Stubber

from chalicelib.adapters.geocoding import AmazonLocationGeocoder
from chalicelib.adapters.messaging import SesEmailSender, SnsSmsSender
from chalicelib.domain.messages import RenderedSms, welcome_email


def client(service: str):  # type: ignore[no-untyped-def]
    return boto3.client(service, region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def test_amazon_location_geocodes_a_full_postcode_precisely() -> None:
    places = client("geo-places")
    with Stubber(places) as stub:
        stub.add_response(
            "geocode",
            {
                "PricingBucket": "Standard",
                "ResultItems": [
                    {"PlaceId": "p1", "PlaceType": "PostalCode", "Title": "ST16 2DH", "Position": [-2.1167, 52.8066]}
                ],
            },
            {
                "QueryComponents": {"Country": "GBR", "PostalCode": "ST16 2DH"},
                "MaxResults": 1,
                "Filter": {"IncludeCountries": ["GBR"], "IncludePlaceTypes": ["PostalCode"]},
                "Language": "en",
                "Key": "api-key",
            },
        )
        point = AmazonLocationGeocoder(places, api_key="api-key").geocode(" st16 2dh ")
        stub.assert_no_pending_responses()
    assert point is not None and (point.lat, point.lng) == (52.8066, -2.1167)
    assert point.precision == "postcode" and point.note is None


def test_amazon_location_marks_a_district_as_approximate_and_answers_none_when_unknown() -> None:
    places = client("geo-places")
    with Stubber(places) as stub:
        stub.add_response(
            "geocode",
            {
                "PricingBucket": "Standard",
                "ResultItems": [
                    {"PlaceId": "p", "PlaceType": "PostalCode", "Title": "ST16", "Position": [-2.11, 52.81]}
                ],
            },
        )
        stub.add_response("geocode", {"PricingBucket": "Standard", "ResultItems": []})
        geocoder = AmazonLocationGeocoder(places)
        district = geocoder.geocode("ST16")
        assert geocoder.geocode("ZZ9 9ZZ") is None
    assert district is not None and district.precision == "district" and "approximate" in (district.note or "")


def test_email_goes_as_raw_mime_with_the_one_click_unsubscribe_headers() -> None:
    sesv2 = client("sesv2")
    sent: dict[str, bytes] = {}
    with Stubber(sesv2) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "m-1"},
            {
                "FromEmailAddress": "alerts@hexwatch.example",
                "Destination": {"ToAddresses": ["jo@example.org"]},
                "Content": {"Raw": {"Data": ANY}},
                "ConfigurationSetName": "hexwatch",
            },
        )
        sesv2.meta.events.register(
            "before-parameter-build.sesv2.SendEmail",
            lambda params, **_: sent.update(raw=params["Content"]["Raw"]["Data"]),
        )
        message_id = SesEmailSender(sesv2, "alerts@hexwatch.example", configuration_set="hexwatch").send(
            "jo@example.org", welcome_email("https://alerts.example", "https://api.example", "tok")
        )
    assert message_id == "m-1"
    parsed = email.message_from_bytes(sent["raw"], policy=policy.default)
    assert parsed["To"] == "jo@example.org" and "Community Alerts" in parsed["From"]
    assert parsed["List-Unsubscribe"] == "<https://api.example/v1/unsubscribe?token=tok>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert {part.get_content_type() for part in parsed.walk()} >= {"text/plain", "text/html"}


def test_sms_are_transactional_with_the_sender_id() -> None:
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_response(
            "publish",
            {"MessageId": "s-1"},
            {
                "PhoneNumber": "+447400123456",
                "Message": "Your code is 123456",
                "MessageAttributes": {
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "POLICE"},
                },
            },
        )
        assert SnsSmsSender(sns, "POLICE").send("+447400123456", RenderedSms("Your code is 123456")) == "s-1"
        stub.assert_no_pending_responses()
