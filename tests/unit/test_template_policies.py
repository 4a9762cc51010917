"""What AWS enforces and the emulator ignores, checked on the merged template: data protection, the key policy, the
alarms. These resources are production-only or only partly emulated, so the template is where they are proven."""

from __future__ import annotations

from typing import Any

import pytest

from infra.package import merge_template

STATEFUL = ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SecretsManager::Secret", "AWS::Cognito::UserPool",
            "AWS::KMS::Key", "AWS::S3::Bucket")


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(merge_template()["Resources"])


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: resource for lid, resource in resources.items() if resource.get("Type") == kind}


def _data_key(value: Any) -> bool:
    return value in ({"Ref": "DataKey"}, {"Fn::GetAtt": ["DataKey", "Arn"]})


def test_every_table_queue_topic_secret_and_log_group_uses_the_customer_managed_key(resources: dict[str, Any]) -> None:
    for lid, table in _of_type(resources, "AWS::DynamoDB::Table").items():
        sse = table["Properties"]["SSESpecification"]
        assert sse["SSEEnabled"] and sse["SSEType"] == "KMS" and _data_key(sse["KMSMasterKeyId"]), lid
    for kind, key in (("AWS::SQS::Queue", "KmsMasterKeyId"), ("AWS::SNS::Topic", "KmsMasterKeyId"),
                      ("AWS::SecretsManager::Secret", "KmsKeyId"), ("AWS::Logs::LogGroup", "KmsKeyId")):
        for lid, resource in _of_type(resources, kind).items():
            assert _data_key(resource["Properties"].get(key)), lid


def test_the_key_lets_the_publishing_services_use_it_and_rotates(resources: dict[str, Any]) -> None:
    key = resources["DataKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    statements = key["KeyPolicy"]["Statement"]
    services = [s for s in statements if isinstance(s["Principal"].get("Service"), list)]
    (publishers,) = services
    assert {"ses.amazonaws.com", "sms-voice.amazonaws.com", "sns.amazonaws.com"} <= set(
        publishers["Principal"]["Service"])
    assert set(publishers["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    assert publishers["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert not any(s["Principal"] == "*" or s["Principal"] == {"AWS": "*"} for s in statements)


def test_state_is_kept_when_the_stack_goes(resources: dict[str, Any]) -> None:
    for kind in STATEFUL:
        for lid, resource in _of_type(resources, kind).items():
            assert resource.get("DeletionPolicy") == "Retain" == resource.get("UpdateReplacePolicy"), lid
    for lid, table in _of_type(resources, "AWS::DynamoDB::Table").items():
        properties = table["Properties"]
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, lid
        assert properties["DeletionProtectionEnabled"] is True, lid
    (pool,) = _of_type(resources, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    for lid, group in _of_type(resources, "AWS::Logs::LogGroup").items():
        assert group["Properties"].get("RetentionInDays"), lid


def test_every_dead_letter_queue_and_every_function_raises_an_alarm_to_the_operators(resources: dict[str, Any]) -> None:
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    watched_queues = {a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms.values()
                      if a["Properties"]["Namespace"] == "AWS/SQS"}
    dead_letter_queues = {lid for lid in _of_type(resources, "AWS::SQS::Queue") if lid.endswith("DeadLetterQueue")}
    assert dead_letter_queues and watched_queues == dead_letter_queues
    watched_functions = {(a["Properties"]["Dimensions"][0]["Value"]["Ref"], a["Properties"]["MetricName"])
                         for a in alarms.values() if a["Properties"]["Namespace"] == "AWS/Lambda"}
    functions = [name for name, resource in resources.items()
                 if "LoggingConfig" in resource.get("Properties", {})]  # each function's patch
    assert len(functions) >= 10
    for name in functions:
        assert {(name, "Errors"), (name, "Throttles")} <= watched_functions, name
    for lid, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OperatorAlarmsTopic"}], lid
