"""The local stack against a real moto server: deployed resources, the event pump and the outbox."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Chalice, Rate
from chalice.app import SNSEvent, SQSEvent

from infra.local import stack
from infra.local.outbox import Outbox
from infra.local.pump import EventPump
from infra.local.testing import EmulatorStack


def wait_for(condition: Callable[[], bool], timeout: float = 15.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


def client(emulator: EmulatorStack, service: str) -> Any:
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=emulator.region)


# --- every resource of the template exists, with the template's properties


def _check_table(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    dynamodb = client(emulator, "dynamodb")
    table = dynamodb.describe_table(TableName=props["TableName"])["Table"]
    assert table["KeySchema"] == props["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
    ttl = dynamodb.describe_time_to_live(TableName=props["TableName"])["TimeToLiveDescription"]
    if "TimeToLiveSpecification" in props:
        assert ttl == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": props["TimeToLiveSpecification"]["AttributeName"],
        }
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        backups = dynamodb.describe_continuous_backups(TableName=props["TableName"])["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def _check_queue(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    sqs = client(emulator, "sqs")
    url = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    if "VisibilityTimeout" in props:
        assert attributes["VisibilityTimeout"] == str(props["VisibilityTimeout"])
    if "RedrivePolicy" in props:
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["maxReceiveCount"] == props["RedrivePolicy"]["maxReceiveCount"]
        assert redrive["deadLetterTargetArn"] == props["RedrivePolicy"]["deadLetterTargetArn"]


def _check_topic(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    arn = f"arn:aws:sns:{emulator.region}:{stack.ACCOUNT_ID}:{props['TopicName']}"
    assert client(emulator, "sns").get_topic_attributes(TopicArn=arn)["Attributes"]["TopicArn"] == arn


def _check_secret(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    value = json.loads(client(emulator, "secretsmanager").get_secret_value(SecretId=props["Name"])["SecretString"])
    spec = props["GenerateSecretString"]
    generated = value[spec["GenerateStringKey"]]
    assert len(generated) == spec["PasswordLength"]
    assert generated.isalnum()  # ExcludePunctuation
    for key, expected in json.loads(spec["SecretStringTemplate"]).items():
        assert value[key] == expected


def _check_user_pool(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    pool = client(emulator, "cognito-idp").describe_user_pool(UserPoolId=emulator.outputs["user_pool_id"])["UserPool"]
    assert pool["Name"] == props["UserPoolName"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == props["Policies"]["PasswordPolicy"]["MinimumLength"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    names = {attribute["Name"] for attribute in pool["SchemaAttributes"]}
    assert {f"custom:{attribute['Name']}" for attribute in props["Schema"]} <= names


def _check_user_pool_client(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    described = client(emulator, "cognito-idp").describe_user_pool_client(
        UserPoolId=emulator.outputs["user_pool_id"], ClientId=emulator.outputs["user_pool_client_id"]
    )["UserPoolClient"]
    assert described["ClientName"] == props["ClientName"]
    assert set(described["ExplicitAuthFlows"]) == set(props["ExplicitAuthFlows"])


def _check_group(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    group = client(emulator, "cognito-idp").get_group(GroupName=props["GroupName"], UserPoolId=props["UserPoolId"])
    assert group["Group"]["Precedence"] == props["Precedence"]


def _check_email_identity(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    identity = client(emulator, "sesv2").get_email_identity(EmailIdentity=props["EmailIdentity"])
    assert identity["VerificationStatus"] == "SUCCESS"


def _check_bucket(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    s3 = client(emulator, "s3")
    bucket = emulator.outputs["site_bucket"]
    s3.head_bucket(Bucket=bucket)
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == props["PublicAccessBlockConfiguration"]


def _check_alarm(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    (alarm,) = client(emulator, "cloudwatch").describe_alarms(AlarmNames=[props["AlarmName"]])["MetricAlarms"]
    for key in ("Namespace", "MetricName", "Statistic", "Period", "ComparisonOperator", "AlarmActions"):
        assert alarm[key] == props[key], key
    assert alarm["Threshold"] == props["Threshold"] and alarm["Dimensions"] == props["Dimensions"]


def _check_key(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    # Found through its alias: moto stores a CloudFormation key's policy as an object, and DescribeKey then fails.
    kms = client(emulator, "kms")
    (key_id,) = [alias["TargetKeyId"] for alias in kms.list_aliases()["Aliases"]
                 if alias["AliasName"] == f"alias/{emulator.prefix}-data"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is props["EnableKeyRotation"]


def _check_alias(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    aliases = {alias["AliasName"] for alias in client(emulator, "kms").list_aliases()["Aliases"]}
    assert props["AliasName"] in aliases


def _check_ses_configuration_set(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    found = client(emulator, "sesv2").get_configuration_set(ConfigurationSetName=props["Name"])
    assert found["ConfigurationSetName"] == props["Name"]


def _check_ses_event_destination(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    described = client(emulator, "ses").describe_configuration_set(
        ConfigurationSetName=props["ConfigurationSetName"], ConfigurationSetAttributeNames=["eventDestinations"])
    (destination,) = described["EventDestinations"]
    wanted = props["EventDestination"]
    assert destination["Name"] == wanted["Name"] and destination["Enabled"] is True
    assert destination["MatchingEventTypes"] == wanted["MatchingEventTypes"]
    assert destination["SNSDestination"]["TopicARN"] == wanted["SnsDestination"]["TopicARN"]


def _check_topic_policy(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    for topic_arn in props["Topics"]:
        policy = client(emulator, "sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"]
        assert json.loads(policy) == props["PolicyDocument"]


def _check_bucket_policy(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    # The local copy leaves out the TLS-only statement (the emulator has no TLS: infra/local/stack.py); the rest is the
    # template's, SES's permission to write inbound mail included.
    policy = json.loads(client(emulator, "s3").get_bucket_policy(Bucket=props["Bucket"])["Policy"])
    wanted = [s for s in props["PolicyDocument"]["Statement"] if "aws:SecureTransport" not in json.dumps(s)]
    assert policy["Statement"] == wanted


def _check_receipt_rule_set(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    # Only existence here: the active set is one per account, and every stack a test deploys later into the same
    # emulator makes its own active. test_the_rule_set_is_made_active checks activation straight after creating.
    described = client(emulator, "ses").describe_receipt_rule_set(RuleSetName=props["RuleSetName"])
    assert described["Metadata"]["Name"] == props["RuleSetName"]


def _check_receipt_rule(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    rule = client(emulator, "ses").describe_receipt_rule(RuleSetName=props["RuleSetName"],
                                                         RuleName=props["Rule"]["Name"])["Rule"]
    assert rule["Recipients"] == props["Rule"]["Recipients"] and rule["ScanEnabled"] is True
    (action,) = rule["Actions"]
    assert action["S3Action"]["TopicArn"] == props["Rule"]["Actions"][0]["S3Action"]["TopicArn"]
    assert action["S3Action"]["ObjectKeyPrefix"] == "inbound/"


def _check_log_group(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    groups = client(emulator, "logs").describe_log_groups(logGroupNamePrefix=props["LogGroupName"])["logGroups"]
    (group,) = [g for g in groups if g["logGroupName"] == props["LogGroupName"]]
    assert group["retentionInDays"] == props["RetentionInDays"]


def _check_role(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    iam = client(emulator, "iam")
    documents = [role["AssumeRolePolicyDocument"] for role in iam.list_roles()["Roles"]]
    assert props["AssumeRolePolicyDocument"] in documents


def _check_production_only(emulator: EmulatorStack, props: dict[str, Any]) -> None:
    # The emulator has no such service: the deploy records it instead of failing (stack.PRODUCTION_ONLY_TYPES).
    assert emulator.outputs["production_only"]


CHECKS: dict[str, Callable[[EmulatorStack, dict[str, Any]], None]] = {
    "AWS::KMS::Key": _check_key,
    "AWS::KMS::Alias": _check_alias,
    "AWS::DynamoDB::Table": _check_table,
    "AWS::SQS::Queue": _check_queue,
    "AWS::SNS::Topic": _check_topic,
    "AWS::SecretsManager::Secret": _check_secret,
    "AWS::Cognito::UserPool": _check_user_pool,
    "AWS::Cognito::UserPoolClient": _check_user_pool_client,
    "AWS::Cognito::UserPoolGroup": _check_group,
    "AWS::SES::EmailIdentity": _check_email_identity,
    "AWS::S3::Bucket": _check_bucket,
    "AWS::CloudWatch::Alarm": _check_alarm,
    "AWS::SES::ConfigurationSet": _check_ses_configuration_set,
    "AWS::SES::ConfigurationSetEventDestination": _check_ses_event_destination,
    "AWS::SNS::TopicPolicy": _check_topic_policy,
    "AWS::S3::BucketPolicy": _check_bucket_policy,
    "AWS::SES::ReceiptRuleSet": _check_receipt_rule_set,
    "AWS::SES::ReceiptRule": _check_receipt_rule,
    "AWS::Logs::LogGroup": _check_log_group,
    "AWS::IAM::Role": _check_role,
    "AWS::SMSVOICE::ConfigurationSet": _check_production_only,
}


def test_every_template_resource_exists_with_its_properties(emulator: EmulatorStack) -> None:
    template = stack.load_template()
    ctx = stack.DeployContext(
        endpoint=emulator.endpoint,
        region=emulator.region,
        parameters={"Prefix": emulator.prefix, "SenderEmail": emulator.outputs["sender_email"]},
        physical_ids=emulator.outputs["physical_ids"],
    )
    for logical_id, physical_id in emulator.outputs["physical_ids"].items():
        if template["Resources"][logical_id]["Type"] == "AWS::SQS::Queue":
            ctx.attributes[logical_id] = {
                "Arn": f"arn:aws:sqs:{emulator.region}:{stack.ACCOUNT_ID}:" + physical_id.rsplit("/", 1)[-1]
            }
        elif template["Resources"][logical_id]["Type"] == "AWS::KMS::Key":
            ctx.attributes[logical_id] = {"Arn": f"arn:aws:kms:{emulator.region}:{stack.ACCOUNT_ID}:key/{physical_id}"}
        elif template["Resources"][logical_id]["Type"] == "AWS::S3::Bucket":
            ctx.attributes[logical_id] = {"Arn": f"arn:aws:s3:::{physical_id}"}
    unchecked = {resource["Type"] for resource in template["Resources"].values()} - set(CHECKS)
    assert not unchecked, f"add a check for {unchecked}"
    for logical_id, resource in template["Resources"].items():
        assert logical_id in emulator.outputs["physical_ids"], logical_id
        CHECKS[resource["Type"]](emulator, ctx.resolve(resource.get("Properties", {})))


def test_deploy_outputs_name_what_the_app_reads(emulator: EmulatorStack) -> None:
    outputs = emulator.outputs
    assert outputs["tables"]["subscribers"] == "itest-subscribers"
    assert outputs["queues"]["transactional"] == "itest-transactional"
    assert outputs["topics"]["ses-events"] == "itest-ses-events"
    assert outputs["secrets"]["signing-keys"] == "itest-signing-keys"
    assert outputs["jwks_url"] == f"{emulator.endpoint}/{outputs['user_pool_id']}/.well-known/jwks.json"
    assert outputs["queue_urls"]["transactional"].startswith(emulator.endpoint)
    assert {"SigningKeysSecret", "OfficersUserPool", "SenderIdentity"} <= set(outputs["created_by_api"])


def test_fresh_stack_is_empty_and_separate(emulator: EmulatorStack, fresh_stack: Callable[..., dict[str, Any]]) -> None:
    outputs = fresh_stack()
    assert outputs["prefix"] != emulator.prefix
    assert outputs["user_pool_id"] != emulator.outputs["user_pool_id"]
    scan = client(emulator, "dynamodb").scan(TableName=outputs["tables"]["subscribers"])
    assert scan["Count"] == 0


def test_the_rule_set_is_made_active(emulator: EmulatorStack, fresh_stack: Callable[..., dict[str, Any]]) -> None:
    # The local stack is the only one receiving mail, so deploying it makes its rule set the active one.
    outputs = fresh_stack()
    active = client(emulator, "ses").describe_active_receipt_rule_set()
    assert active["Metadata"]["Name"] == f"{outputs['prefix']}-inbound"
    assert [rule["Name"] for rule in active["Rules"]] == [f"{outputs['prefix']}-replies"]


def test_deploy_twice_reuses_what_exists(emulator: EmulatorStack) -> None:
    again = stack.deploy(emulator.endpoint, emulator.prefix, emulator.outputs["sender_email"])
    assert again["user_pool_id"] == emulator.outputs["user_pool_id"]
    assert again["user_pool_client_id"] == emulator.outputs["user_pool_client_id"]


# --- the event pump, against a throwaway Chalice app


@pytest.fixture
def pumped() -> Iterator[Callable[[Chalice], EventPump]]:
    pumps: list[EventPump] = []

    def start(app: Chalice) -> EventPump:
        pump = EventPump(app, function_prefix="itest")
        pump.start()
        pumps.append(pump)
        return pump

    yield start
    for pump in pumps:
        pump.stop()


def test_pump_delivers_sqs_batches_in_lambda_shape_and_redelivers_reported_failures(
    emulator: EmulatorStack, pumped: Callable[[Chalice], EventPump]
) -> None:
    queue = f"itest-pump-{uuid.uuid4().hex[:8]}"
    sqs = client(emulator, "sqs")
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    events: list[dict[str, Any]] = []
    results: list[Any] = []
    contexts: list[Any] = []
    lock = threading.Lock()
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        # "flaky" fails on its first delivery only, so the test sees a reported failure and then its redelivery.
        if record.body == "flaky" and record.attributes.approximate_receive_count == "1":
            raise ValueError("first attempt fails")

    app = Chalice(app_name="pump-sqs-test")

    @app.on_sqs_message(queue=queue, batch_size=5)
    def consume(event: SQSEvent) -> Any:
        result = process_partial_response(
            event=event.to_dict(),
            record_handler=record_handler,
            processor=processor,
            context=event.context,  # type: ignore[arg-type]  # Chalice types it as a dict; it is the Lambda context
        )
        with lock:
            events.append(event.to_dict())
            contexts.append(event.context)
            results.append(result)
        return result

    for body in ("ok-1", "flaky", "ok-2"):
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": body}},
        )
    pump = pumped(app)

    def delivered_bodies() -> list[str]:
        with lock:
            return [record["body"] for event in events for record in event["Records"]]

    wait_for(lambda: delivered_bodies().count("flaky") >= 2, message="flaky to be redelivered")
    first = events[0]["Records"][0]
    assert set(first) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert first["eventSource"] == "aws:sqs"
    assert first["eventSourceARN"].endswith(f":{queue}")
    assert first["awsRegion"] == emulator.region
    assert {"ApproximateReceiveCount", "SentTimestamp"} <= set(first["attributes"])
    assert first["messageAttributes"]["kind"]["stringValue"] == first["body"]
    assert first["messageAttributes"]["kind"]["dataType"] == "String"
    flaky_id = next(r["messageId"] for e in events for r in e["Records"] if r["body"] == "flaky")
    assert {"itemIdentifier": flaky_id} in [failure for result in results for failure in result["batchItemFailures"]]
    assert delivered_bodies().count("ok-1") == 1
    assert delivered_bodies().count("ok-2") == 1
    assert contexts[0].function_name == "itest-consume"
    assert contexts[0].aws_request_id != contexts[-1].aws_request_id
    assert contexts[0].invoked_function_arn.endswith(":function:itest-consume")
    assert contexts[0].get_remaining_time_in_millis() > 0

    def queue_empty() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        return (
            attributes["ApproximateNumberOfMessages"] == "0"
            and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        )

    wait_for(queue_empty, message="successful records to be deleted")
    assert pump.stats["consume"]["succeeded"] == 3


def test_pump_keeps_every_record_when_the_handler_raises(emulator: EmulatorStack) -> None:
    sqs = client(emulator, "sqs")
    queue_url = sqs.create_queue(QueueName=f"itest-raise-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="a")
    sqs.send_message(QueueUrl=queue_url, MessageBody="b")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])[
        "Messages"
    ]

    def explode(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("handler crashed")

    pump = EventPump(Chalice(app_name="unused"), retry_visibility_seconds=1)
    kept = pump.deliver_sqs_batch("explode", explode, queue_url, queue_arn, messages)
    assert kept == {message["MessageId"] for message in messages}
    wait_for(
        lambda: (
            len(sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []))
            == 2
        ),
        message="both records to come back",
    )


def test_pump_delivers_sns_messages_in_lambda_shape(
    emulator: EmulatorStack, pumped: Callable[[Chalice], EventPump]
) -> None:
    topic_name = emulator.outputs["topics"]["ses-events"]
    topic_arn = emulator.outputs["topic_arns"]["ses-events"]
    received: list[dict[str, Any]] = []
    app = Chalice(app_name="pump-sns-test")

    @app.on_sns_message(topic=topic_name)
    def on_event(event: SNSEvent) -> None:
        received.append(event.to_dict())

    pumped(app)
    # The subscription is made by the pump's thread; publish once it exists.
    sns = client(emulator, "sns")
    wait_for(
        lambda: any(
            s["Protocol"] == "sqs" for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        ),
        message="the pump's subscription",
    )
    sns.publish(
        TopicArn=topic_arn,
        Message=json.dumps({"notificationType": "Bounce"}),
        Subject="bounce",
        MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}},
    )
    wait_for(lambda: len(received) == 1, message="the SNS record")
    (record,) = received[0]["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    sns_part = record["Sns"]
    assert sns_part["Type"] == "Notification"
    assert sns_part["TopicArn"] == topic_arn
    assert sns_part["Subject"] == "bounce"
    assert json.loads(sns_part["Message"]) == {"notificationType": "Bounce"}
    assert sns_part["MessageId"]
    assert sns_part["Timestamp"]
    assert sns_part["MessageAttributes"]["origin"]["Value"] == "test"


def test_schedule_fires_on_demand_with_the_scheduled_event_shape(emulator: EmulatorStack) -> None:
    app = Chalice(app_name="pump-schedule-test")
    events: list[dict[str, Any]] = []

    @app.schedule(Rate(1, unit=Rate.DAYS))
    def nightly(event: Any) -> str:
        events.append(event.to_dict())
        return "done"

    pump = EventPump(app, function_prefix="itest")
    assert pump.fire_schedule("nightly") == "done"
    (event,) = events
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"][0].endswith(":rule/nightly")
    assert event["time"].endswith("Z")
    assert event["id"]
    with pytest.raises(KeyError):
        pump.fire_schedule("no-such-schedule")


# --- the outbox


def test_outbox_reads_raw_mime_email_and_sms(emulator: EmulatorStack) -> None:
    sender = emulator.outputs["sender_email"]
    recipient = f"resident-{uuid.uuid4().hex[:6]}@example.org"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Confirm your Hexwatch email"
    message["List-Unsubscribe"] = "<https://hexwatch.example/unsubscribe?t=abc>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("Confirm here: https://hexwatch.example/confirm?t=123\n")
    message.add_alternative(
        '<p>Confirm <a href="https://hexwatch.example/confirm?t=123&amp;x=1">here</a></p>', subtype="html"
    )
    client(emulator, "sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [recipient]},
        Content={"Raw": {"Data": message.as_bytes()}},
    )
    outbox = Outbox(emulator.endpoint, emulator.prefix)
    (email,) = [m for m in outbox.list_messages() if recipient in m["to"]]
    assert email["channel"] == "email"
    assert email["to"] == [recipient]  # moto lists the recipient twice (Destination and To header)
    assert email["from"] == sender
    assert email["subject"] == "Confirm your Hexwatch email"
    assert email["headers"]["List-Unsubscribe"] == "<https://hexwatch.example/unsubscribe?t=abc>"
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Confirm here" in email["text"]
    assert email["html"] and "<a href" in email["html"]
    assert "https://hexwatch.example/confirm?t=123" in email["links"]
    assert "https://hexwatch.example/confirm?t=123&x=1" in email["links"]
    assert email["sent_at"]

    phone = "+447700900123"
    client(emulator, "sns").publish(PhoneNumber=phone, Message="Your code is 123456 https://hexwatch.example/s")
    messages = outbox.list_messages()
    assert messages[0]["channel"] == "sms"  # newest first
    assert messages[0]["to"] == [phone]
    assert messages[0]["links"] == ["https://hexwatch.example/s"]


def test_outbox_renders_bulk_templated_sends_and_reads_voice_calls(emulator: EmulatorStack) -> None:
    ses = client(emulator, "ses")
    name = f"itest-{uuid.uuid4().hex[:6]}"
    ses.create_template(
        Template={
            "TemplateName": name,
            "SubjectPart": "Alert for {{area}}",
            "TextPart": "Hello {{name}}, see https://hexwatch.example/a/{{id}}",
            "HtmlPart": "<p>Hello {{name}}</p>",
        }
    )
    ses.send_bulk_templated_email(
        Source=emulator.outputs["sender_email"],
        Template=name,
        DefaultTemplateData=json.dumps({"area": "Stafford", "name": "resident", "id": "0"}),
        Destinations=[
            {
                "Destination": {"ToAddresses": ["ann@example.org"]},
                "ReplacementTemplateData": json.dumps({"name": "Ann", "id": "1"}),
            },
            {"Destination": {"ToAddresses": ["bob@example.org"]}},
        ],
    )
    client(emulator, "s3").put_object(
        Bucket=emulator.outputs["outbox_bucket"],
        Key="voice/call-1.json",
        Body=json.dumps(
            {"to": "+441632960001", "from": "Hexwatch", "text": "This is a test call.", "language": "en-GB"}
        ),
    )
    messages = Outbox(emulator.endpoint, emulator.prefix).list_messages()
    ann = next(m for m in messages if m["to"] == ["ann@example.org"])
    bob = next(m for m in messages if m["to"] == ["bob@example.org"])
    assert ann["subject"] == "Alert for Stafford"
    assert ann["text"] == "Hello Ann, see https://hexwatch.example/a/1"
    assert ann["html"] == "<p>Hello Ann</p>"
    assert bob["text"] == "Hello resident, see https://hexwatch.example/a/0"
    voice = next(m for m in messages if m["channel"] == "voice")
    assert voice["simulated"] is True
    assert voice["to"] == ["+441632960001"]
    assert voice["text"] == "This is a test call."


def test_outbox_without_voice_bucket_shows_no_calls(emulator: EmulatorStack) -> None:
    outbox = Outbox(emulator.endpoint, "no-such-prefix")
    assert all(message["channel"] != "voice" for message in outbox.list_messages())


REPO_ROOT = Path(__file__).resolve().parents[2]

# Every resource type of infra/resources.yaml that moto's CloudFormation skips, and what stands in for it locally.
EMULATOR_SKIPS = {
    "AWS::Cognito::UserPool": "created through the Cognito API",
    "AWS::Cognito::UserPoolClient": "created through the Cognito API",
    "AWS::SecretsManager::Secret": "created through the Secrets Manager API",
    "AWS::SES::EmailIdentity": "created through the SESv2 API",
    "AWS::SES::ConfigurationSet": "created through the SES API",
    "AWS::SES::ConfigurationSetEventDestination": "created through the SES API",
    "AWS::SNS::TopicPolicy": "set through the SNS API",
    "AWS::S3::BucketPolicy": "set through the S3 API (without its TLS-only statement: the emulator has no TLS)",
    "AWS::SES::ReceiptRuleSet": "created (and made active) through the SES API",
    "AWS::SES::ReceiptRule": "created through the SES API",
    "AWS::CloudWatch::Alarm": "created through the CloudWatch API",
    "AWS::Logs::LogGroup": "created through the CloudWatch Logs API (account-wide names)",
    "AWS::SMSVOICE::ConfigurationSet": "production-only: tests/unit/test_delivery_feedback.py, cfn-lint, checkov",
}
# What only the packaged template holds (it names Chalice's functions or the REST API, or lives at the edge): never
# deployed locally, so proven by cfn-lint and checkov (tests/integration/test_package.py) and a template test.
PACKAGE_ONLY = {
    "AWS::Serverless::Function": "tests/security/test_least_privilege.py",
    "AWS::Serverless::Api": "tests/integration/test_package.py",
    "AWS::Serverless::LayerVersion": "tests/integration/test_package.py",
    "AWS::IAM::Role": "tests/security/test_least_privilege.py",
    "AWS::Lambda::Permission": "tests/integration/test_package.py (cfn-lint)",
    "AWS::ApiGateway::GatewayResponse": "tests/integration/test_package.py",
    "AWS::ApiGateway::Account": "tests/integration/test_package.py (cfn-lint, checkov)",
    "AWS::Logs::LogGroup": "tests/unit/test_template_policies.py",
    "AWS::Logs::SubscriptionFilter": "tests/unit/test_delivery_feedback.py",
    "AWS::CloudWatch::Alarm": "tests/unit/test_template_policies.py",
    "AWS::CloudFront::Distribution": "tests/unit/test_hosting_template.py",
    "AWS::CloudFront::OriginAccessControl": "tests/unit/test_hosting_template.py",
    "AWS::CloudFront::Function": "tests/unit/test_hosting_template.py",
    "AWS::CloudFront::ResponseHeadersPolicy": "tests/unit/test_hosting_template.py",
    "AWS::CloudFront::OriginRequestPolicy": "tests/unit/test_hosting_template.py",
    "AWS::CloudFront::CachePolicy": "tests/unit/test_hosting_template.py",
    "AWS::S3::BucketPolicy": "tests/unit/test_hosting_template.py",
    "AWS::Location::APIKey": "tests/unit/test_hosting_template.py",
}


def test_every_type_the_emulator_skips_is_made_by_its_api_or_named_production_only(emulator: EmulatorStack) -> None:
    resources = stack.load_template()["Resources"]
    created = {resources[lid]["Type"] for lid in emulator.outputs["created_by_api"]}
    production_only = {resources[lid]["Type"] for lid in emulator.outputs["production_only"]}
    assert created | production_only == set(EMULATOR_SKIPS), "name each skipped type in EMULATOR_SKIPS"
    assert created <= set(stack.CREATORS)
    assert production_only <= stack.PRODUCTION_ONLY_TYPES
    for kind in production_only:
        assert EMULATOR_SKIPS[kind].startswith("production-only"), kind


def test_every_type_only_the_package_holds_is_covered_by_a_template_test() -> None:
    from infra.package import merge_template

    in_resources = {r["Type"] for r in stack.load_template()["Resources"].values()}
    in_package = {r["Type"] for r in merge_template()["Resources"].values() if "Type" in r}
    assert in_package - in_resources - {"AWS::Serverless::Function", "AWS::Serverless::Api"} <= set(PACKAGE_ONLY), \
        "name the test that covers each new package-only type in PACKAGE_ONLY"
    for covering in PACKAGE_ONLY.values():
        assert (REPO_ROOT / covering.split(" ")[0]).exists(), covering
