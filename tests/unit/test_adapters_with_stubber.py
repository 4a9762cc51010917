"""The exact AWS requests of the production adapters, checked with botocore's Stubber (no emulator needed)."""

from __future__ import annotations

import email
from email import policy

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from chalicelib.adapters.geocoding import AmazonLocationGeocoder
from chalicelib.adapters.ledger import DeliveryLedger, LedgerUnavailable
from chalicelib.adapters.messaging import SesEmailSender, SnsPushRegistry, SnsSmsSender
from chalicelib.adapters.models import SubscriberModel
from chalicelib.adapters.residents_store import UNPROCESSED_PAUSES, ResidentStore, UnprocessedReads
from chalicelib.domain.messages import welcome_email


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
        assert SnsSmsSender(sns, "POLICE").publish("+447400123456", "Your code is 123456") == "s-1"
        stub.assert_no_pending_responses()


def _stored_resident(resident_id: str) -> dict:  # type: ignore[type-arg]
    """A subscriber item as DynamoDB returns it (what PynamoDB wrote for a resident with one verified email)."""
    return {"resident_id": {"S": resident_id}, "status": {"S": "active"}, "language": {"S": "cy"},
            "channels": {"L": [{"S": "email"}]}, "categories": {"L": [{"S": "crime"}]},
            "business_sectors": {"L": []}, "groups": {"L": [{"S": "cctv"}]},
            "locations": {"L": [{"M": {"id": {"S": "L1"}, "label": {"S": "Home"}, "lat": {"N": "52.8"},
                                       "lng": {"N": "-2.1"}, "precision": {"S": "point"},
                                       "partition": {"S": "85195a2bfffffff"}, "point_cell": {"S": "8f195a"}}}]},
            "contacts": {"L": [{"M": {"kind": {"S": "email"}, "address": {"S": "a@example.org"},
                                      "hash": {"S": "h1"}, "verified_at": {"S": "2026-11-01T00:00:00Z"}}}]},
            "devices": {"L": []}, "consent": {"M": {"notice_version": {"S": "2026-01"},
                                                    "given_at": {"S": "2026-11-01T00:00:00Z"},
                                                    "age_confirmed": {"BOOL": True}}},
            "created_at": {"S": "2026-11-01T00:00:00Z"}, "updated_at": {"S": "2026-11-01T00:00:00Z"}}


def test_residents_left_unprocessed_by_a_busy_table_are_asked_for_again() -> None:
    table = SubscriberModel.Meta.table_name
    dynamodb, pauses = client("dynamodb"), []
    keys = [{"resident_id": {"S": name}} for name in ("r1", "r2", "r3")]
    with Stubber(dynamodb) as stub:
        stub.add_response("batch_get_item",
                          {"Responses": {table: [_stored_resident("r1")]},
                           "UnprocessedKeys": {table: {"Keys": keys[1:], "ConsistentRead": True}}},
                          {"RequestItems": {table: {"Keys": keys, "ConsistentRead": True}}})
        stub.add_client_error("batch_get_item", "ProvisionedThroughputExceededException", http_status_code=400,
                              expected_params={"RequestItems": {table: {"Keys": keys[1:], "ConsistentRead": True}}})
        stub.add_response("batch_get_item", {"Responses": {table: [_stored_resident("r2")]}},
                          {"RequestItems": {table: {"Keys": keys[1:], "ConsistentRead": True}}})
        found = ResidentStore(client=dynamodb, sleep=pauses.append).get_many(["r3", "r1", "r2", "r1"])
        stub.assert_no_pending_responses()

    assert sorted(found) == ["r1", "r2"]  # r3 does not exist (any more): absent, not an error
    assert found["r1"].language == "cy" and found["r1"].contacts[0].address == "a@example.org"
    assert found["r1"].locations[0].lat == 52.8 and found["r1"].consent.age_confirmed is True
    assert len(pauses) == 2 and pauses[0] < pauses[1]


def test_a_table_that_keeps_refusing_reads_fails_the_delivery_rather_than_skipping_residents() -> None:
    table = SubscriberModel.Meta.table_name
    dynamodb = client("dynamodb")
    with Stubber(dynamodb) as stub:
        for _ in UNPROCESSED_PAUSES:
            stub.add_response("batch_get_item", {"Responses": {table: []}, "UnprocessedKeys": {
                table: {"Keys": [{"resident_id": {"S": "r1"}}], "ConsistentRead": True}}})
        with pytest.raises(UnprocessedReads):
            ResidentStore(client=dynamodb, sleep=lambda _: None).get_many(["r1"])


def test_ledger_entries_a_busy_table_keeps_back_fail_the_message_instead_of_being_skipped() -> None:
    dynamodb = client("dynamodb")
    keys = [{"alert_id": {"S": "A1"}, "recipient": {"S": f"email#00#R{i}"}} for i in range(2)]
    left = {"deliveries": {"Keys": keys[1:], "ConsistentRead": True}}
    with Stubber(dynamodb) as stub:
        stub.add_response("batch_get_item", {"Responses": {"deliveries": [
            {**keys[0], "status": {"S": "queued"}, "resident_id": {"S": "R0"}, "channel": {"S": "email"},
             "contact": {"S": "h0"}}]}, "UnprocessedKeys": left})
        for _ in range(2):
            stub.add_response("batch_get_item", {"Responses": {"deliveries": []}, "UnprocessedKeys": left})
        ledger = DeliveryLedger(dynamodb, "deliveries", sleep=lambda _: None, attempts=3)
        with pytest.raises(LedgerUnavailable):
            ledger.entries("A1", ["email#00#R0", "email#00#R1"])
        stub.assert_no_pending_responses()


APP = "arn:aws:sns:eu-west-2:123456789012:app/GCM/hexwatch-fcm"
HELD = "arn:aws:sns:eu-west-2:123456789012:endpoint/GCM/hexwatch-fcm/5f2e"


def test_a_token_another_resident_registered_is_taken_over_not_an_error() -> None:
    sns = boto3.client("sns", region_name="eu-west-2")
    registry = SnsPushRegistry(sns, {"fcm": APP})
    with Stubber(sns) as stub:
        stub.add_client_error("create_platform_endpoint", "InvalidParameter", http_status_code=400,
                              service_message=f"Invalid parameter: Token Reason: Endpoint {HELD} already exists "
                                              "with the same Token, but different attributes.",
                              expected_params={"PlatformApplicationArn": APP, "Token": "t" * 40,
                                               "CustomUserData": "resident-2"})
        stub.add_response("set_endpoint_attributes", {}, {"EndpointArn": HELD, "Attributes": {
            "CustomUserData": "resident-2", "Enabled": "true"}})
        assert registry.register("fcm", "t" * 40, "resident-2") == HELD
        stub.assert_no_pending_responses()


def test_any_other_refusal_of_a_token_is_raised() -> None:
    sns = boto3.client("sns", region_name="eu-west-2")
    registry = SnsPushRegistry(sns, {"fcm": APP})
    with Stubber(sns) as stub:
        stub.add_client_error("create_platform_endpoint", "InvalidParameter", http_status_code=400,
                              service_message="Invalid parameter: Token Reason: malformed")
        with pytest.raises(ClientError):
            registry.register("fcm", "bad", "resident-2")
