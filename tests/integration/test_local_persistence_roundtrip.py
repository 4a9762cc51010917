"""The local stack's snapshot against the emulator (infra/local/persistence.py): what one deployed stack holds is
captured and restored into another, freshly deployed copy of the template. The whole stack over SIGTERM, SIGKILL and
--fresh is tests/e2e/test_restart_keeps_data.py."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from infra.local import persistence
from infra.local.testing import EmulatorStack


def client(emulator: EmulatorStack, service: str) -> Any:
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=emulator.region)


def test_a_snapshot_restores_items_secrets_officers_and_queued_jobs_into_a_fresh_stack(
        emulator: EmulatorStack, fresh_stack: Callable[..., dict[str, Any]]) -> None:
    source, target = fresh_stack(activate=False), fresh_stack(activate=False)
    dynamodb, cognito = client(emulator, "dynamodb"), client(emulator, "cognito-idp")
    secrets, sqs = client(emulator, "secretsmanager"), client(emulator, "sqs")

    item = {"bucket": {"S": "signin.contact#abc"}, "count": {"N": "3"}, "hash": {"B": b"\x00\xff"},
            "nested": {"M": {"seen": {"L": [{"B": b"\x01"}, {"S": "x"}, {"NULL": True}]}}}}
    dynamodb.put_item(TableName=source["tables"]["rate-limits"], Item=item)
    created = cognito.admin_create_user(UserPoolId=source["user_pool_id"], Username="pc-1@force.example",
                                        MessageAction="SUPPRESS", UserAttributes=[
                                            {"Name": "email", "Value": "pc-1@force.example"},
                                            {"Name": "custom:org", "Value": "staffordshire"}])["User"]
    sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    cognito.admin_set_user_password(UserPoolId=source["user_pool_id"], Username="pc-1@force.example",
                                    Password="Correct-Horse-42", Permanent=True)
    cognito.create_group(UserPoolId=source["user_pool_id"], GroupName="night-shift", Precedence=3)
    cognito.admin_add_user_to_group(UserPoolId=source["user_pool_id"], Username="pc-1@force.example",
                                    GroupName="night-shift")
    queue = next(iter(source["queue_urls"]))
    sqs.send_message(QueueUrl=source["queue_urls"][queue], MessageBody='{"job": "later"}', DelaySeconds=600)

    document = persistence.capture(source, {"users": [{"username": "pc-1@force.example"}]})
    document = json.loads(json.dumps(document))  # exactly what a file would give back
    restored = persistence.restore(document, target)

    assert dynamodb.get_item(TableName=target["tables"]["rate-limits"],
                             Key={"bucket": {"S": "signin.contact#abc"}})["Item"] == item
    for suffix, name in target["secrets"].items():
        assert (secrets.get_secret_value(SecretId=name)["SecretString"]
                == secrets.get_secret_value(SecretId=source["secrets"][suffix])["SecretString"])

    # The source pool still exists here, so the target keeps its own id (in a restarted stack it takes the saved
    # one); the officer is the same person: same sub, password and groups.
    pool = restored["user_pool_id"]
    user = cognito.admin_get_user(UserPoolId=pool, Username="pc-1@force.example")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["sub"] == sub and attributes["custom:org"] == "staffordshire"
    assert user["UserStatus"] == "CONFIRMED"
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username="pc-1@force.example")["Groups"]
    assert [g["GroupName"] for g in groups] == ["night-shift"]
    answer = cognito.admin_initiate_auth(UserPoolId=pool, ClientId=restored["user_pool_client_id"],
                                         AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": "pc-1@force.example",
                                                         "PASSWORD": "Correct-Horse-42"})
    # moto lets a user with no TOTP enrolled in without one (the demo officers' enrolment is tested end to end).
    claims = json.loads(base64.urlsafe_b64decode(answer["AuthenticationResult"]["IdToken"].split(".")[1] + "=="))
    assert claims["sub"] == sub
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.admin_initiate_auth(UserPoolId=pool, ClientId=restored["user_pool_client_id"],
                                    AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": "pc-1@force.example", "PASSWORD": "Wrong-Horse-42"})

    counts = sqs.get_queue_attributes(QueueUrl=target["queue_urls"][queue], AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"  # still waiting for its time
    assert document["demo"] == {"users": [{"username": "pc-1@force.example"}]}


def test_a_restarted_stack_takes_back_its_pool_and_client_ids(
        emulator: EmulatorStack, fresh_stack: Callable[..., dict[str, Any]]) -> None:
    target = fresh_stack(activate=False)
    saved = {"user_pool_id": "eu-west-2_savedpool" + target["prefix"], "clients": {
        f"{target['prefix']}-officers-api": "savedclient" + target["prefix"][:10]}, "groups": [], "users": []}
    restored = persistence.restore_user_pool(saved, target)
    assert restored["user_pool_id"] == saved["user_pool_id"]
    assert restored["user_pool_client_id"] == saved["clients"][f"{target['prefix']}-officers-api"]
    assert restored["jwks_url"] == f"{emulator.endpoint}/{saved['user_pool_id']}/.well-known/jwks.json"
    assert restored["outputs"]["UserPoolId"] == saved["user_pool_id"]
    cognito = client(emulator, "cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=saved["user_pool_id"])["UserPool"]
    assert pool["Name"] == f"{target['prefix']}-officers"
    assert [c["ClientId"] for c in cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)[
        "UserPoolClients"]] == [restored["user_pool_client_id"]]
    assert requests.get(restored["jwks_url"], timeout=10).json()["keys"]  # the app's JWKS URL answers
