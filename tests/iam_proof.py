"""The least-privilege proof: every AWS operation a function was seen making is allowed by that function's role.

Pure: it takes the recorded calls (tests/aws_calls.py) and a packaged template (`make package`'s sam.yaml) and returns
what is missing. The emulator's own IAM enforcement cannot serve here (docs/security.md says why), so this file
states how AWS authorises each operation:

- an operation maps to the IAM actions AWS checks, on the resources it names (TransactWriteItems to each item's
  PutItem, UpdateItem, DeleteItem or ConditionCheckItem on that item's table; SendMessageBatch to sqs:SendMessage;
  DeleteMessageBatch to sqs:DeleteMessage; a Query on an index to the index's ARN);
- AWS adds what it does with the function's role: the SQS event source's ReceiveMessage, DeleteMessage and
  GetQueueAttributes; kms:GenerateDataKey and kms:Decrypt on the key of each encrypted queue and topic written to,
  kms:Decrypt for each encrypted queue read and secret fetched, and for the encrypted environment; writing to the
  function's log group; X-Ray segments; sending a failed asynchronous event to the function's dead-letter queue or
  on-failure destination.

Template values are resolved to one canonical deployment (prefix `hexwatch`, region eu-west-2, account 123456789012)
and recorded resource names (which carry each test's own prefix) are matched to the template by their suffix.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from infra import intrinsics

REGION, ACCOUNT, PARTITION = "eu-west-2", "123456789012", "aws"
PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": PARTITION, "AWS::StackName": "hexwatch",
          "AWS::URLSuffix": "amazonaws.com"}

# Adapters that run only in production (the emulator lacks their service), tested with Stubber in tests/unit: their
# calls count against the functions that bootstrap wires them into.
PRODUCTION_ONLY_ADAPTERS = {
    "SesBulkEmailSender": ("DeliverEmail",),
    "PinpointVoiceSender": ("DeliverVoice", "SendTransactional"),  # alerts read aloud; codes read to landlines
    "AmazonLocationGeocoder": ("APIHandler",),
    "AmazonTranslator": ("DeliverEmail", "DeliverSms", "DeliverVoice", "DeliverPush", "APIHandler"),
}
# Their local stand-ins, which production never runs: their calls need no permission.
LOCAL_ONLY_ADAPTERS = ("LocalEmailSender", "LocalVoiceOutbox", "LocalOptOutList")

# The physical name each resource type takes from its properties, and how its Ref and Arn read.
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName",
    "AWS::SecretsManager::Secret": "Name", "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SES::ConfigurationSet": "Name", "AWS::SMSVOICE::ConfigurationSet": "ConfigurationSetName",
    "AWS::Cognito::UserPool": "UserPoolName", "AWS::SES::EmailIdentity": "EmailIdentity",
    "AWS::S3::Bucket": "BucketName",
}


@dataclass(frozen=True)
class Permission:
    action: str
    resource: str
    reason: str


@dataclass(frozen=True)
class Violation:
    function: str
    permission: Permission

    def __str__(self) -> str:
        return (f"{self.function} may not {self.permission.action} on {self.permission.resource} "
                f"(needed for {self.permission.reason})")


class Template:
    """A packaged template, with intrinsics resolved to one canonical deployment."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.resources: dict[str, Any] = document["Resources"]
        self.parameters = {name: spec.get("Default", name) for name, spec in
                           (document.get("Parameters") or {}).items()}

    # --- intrinsics -------------------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        return intrinsics.resolve(value, self.ref, self.attribute)

    def ref(self, name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return str(self.parameters[name])
        resource = self.resources[name]
        kind = resource["Type"]
        physical = self.physical_name(name)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
        if kind in ("AWS::SNS::Topic", "AWS::SecretsManager::Secret"):
            return self.attribute(name, "Arn")
        if kind == "AWS::KMS::Key":
            return f"key-{name}"
        if kind == "AWS::Cognito::UserPool":
            return f"{REGION}_{name}"
        return physical

    def physical_name(self, logical: str) -> str:
        resource = self.resources[logical]
        prop = NAME_PROPERTIES.get(resource["Type"])
        value = (resource.get("Properties") or {}).get(prop) if prop else None
        return str(self.resolve(value)) if value is not None else logical

    def attribute(self, logical: str, attribute: str) -> str:
        kind = self.resources[logical]["Type"]
        name = self.physical_name(logical)
        arns = {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}",
            "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf",
            "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/key-{logical}",
            "AWS::Cognito::UserPool": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_{logical}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
            "AWS::SES::ConfigurationSet": f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{name}",
            "AWS::SES::EmailIdentity": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{name}",
            "AWS::SMSVOICE::ConfigurationSet": f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:configuration-set/{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
        }
        if attribute in ("Arn", "TopicArn") and kind in arns:
            return arns[kind]
        if attribute == "QueueName":
            return name
        if attribute == "QueueUrl":
            return self.ref(logical)
        return f"{logical}.{attribute}"

    # --- what the template grants -----------------------------------------------------------------------------
    def functions(self) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == "AWS::Serverless::Function"}

    def handlers(self) -> dict[str, str]:
        """Handler string (module.function) -> function logical id."""
        return {r["Properties"]["Handler"]: lid for lid, r in self.functions().items()}

    def role_of(self, function: str) -> str:
        role = self.functions()[function]["Properties"]["Role"]
        return str(role["Fn::GetAtt"][0])

    def statements(self, function: str) -> list[dict[str, Any]]:
        role = self.resources[self.role_of(function)]
        found = []
        for policy in role["Properties"].get("Policies") or []:
            document = self.resolve(policy["PolicyDocument"])
            statements = document["Statement"]
            found.extend(statements if isinstance(statements, list) else [statements])
        return found

    def allows(self, function: str, permission: Permission) -> bool:
        allowed = False
        for statement in self.statements(function):
            if not _matches(statement, permission):
                continue
            if statement["Effect"] == "Deny":
                return False
            allowed = True
        return allowed

    # --- finding a recorded resource in the template ---------------------------------------------------------
    def by_suffix(self, kind: str, name: str) -> str | None:
        """The logical id of the `kind` resource whose `${Prefix}-<suffix>` name ends `name` (longest suffix wins)."""
        best: tuple[int, str] | None = None
        for logical, resource in self.resources.items():
            if resource["Type"] != kind:
                continue
            physical = self.physical_name(logical)
            suffix = physical.removeprefix(str(self.parameters.get("Prefix", "hexwatch")) + "-")
            matches = name == physical or name.endswith("-" + suffix)
            if matches and (best is None or len(suffix) > best[0]):
                best = (len(suffix), logical)
        return best[1] if best else None

    def only_or_by_suffix(self, kind: str, name: str) -> str | None:
        """As `by_suffix`; a Stubber test names its own configuration set, so a kind the template has once is that."""
        found = self.by_suffix(kind, name)
        if found:
            return found
        of_kind = [lid for lid, r in self.resources.items() if r["Type"] == kind]
        return of_kind[0] if len(of_kind) == 1 else None

    def encryption_key(self, logical: str) -> str | None:
        properties = self.resources[logical].get("Properties") or {}
        key = properties.get("KmsMasterKeyId") or properties.get("KmsKeyId") or properties.get("KMSMasterKeyId")
        if isinstance(key, dict) and "Ref" in key:
            return self.attribute(key["Ref"], "Arn")
        return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(statement: dict[str, Any], permission: Permission) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action", []))]
    if not any(fnmatch.fnmatchcase(permission.action.lower(), pattern) for pattern in actions):
        return False
    resources = [str(r) for r in _as_list(statement.get("Resource", []))]
    return any(fnmatch.fnmatchcase(permission.resource, pattern) for pattern in resources)


# --- attributing a record to a function -------------------------------------------------------------------------
def functions_of(record: dict[str, Any], template: Template) -> tuple[str, ...]:
    frames: list[str] = record["frames"]
    classes = {frame.split(":", 1)[1].split(".")[0] for frame in frames}
    if classes & set(LOCAL_ONLY_ADAPTERS):
        return ()
    handlers = template.handlers()
    for frame in reversed(frames):  # outermost first: the handler that Lambda called
        module, qualname = frame.split(":", 1)
        if f"{module}.{qualname}" in handlers:
            return (handlers[f"{module}.{qualname}"],)
    if record["api_entry"]:
        return (handlers["app.app"],)
    for adapter, functions in PRODUCTION_ONLY_ADAPTERS.items():
        if adapter in classes:
            return functions
    return ()  # an adapter exercised on its own in a unit test: its calls are proven where a function makes them


# --- what a record needs ----------------------------------------------------------------------------------------
DYNAMODB_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
SQS_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
             "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


def permissions_for(record: dict[str, Any], template: Template) -> Iterator[Permission]:
    service, operation, names = record["service"], record["operation"], record["resources"]
    reason = f"{service}.{operation}"
    if service == "dynamodb":
        yield from _dynamodb(operation, names, template, reason)
    elif service == "sqs":
        queue = template.by_suffix("AWS::SQS::Queue", _queue_name(names))
        arn = template.attribute(queue, "Arn") if queue else f"unknown-queue:{_queue_name(names)}"
        action = SQS_BATCH.get(operation, operation)
        yield Permission(f"sqs:{action}", arn, reason)
        key = template.encryption_key(queue) if queue else None
        if key and action == "SendMessage":
            yield Permission("kms:GenerateDataKey", key, f"{reason} to an encrypted queue")
            yield Permission("kms:Decrypt", key, f"{reason} to an encrypted queue")
        if key and action == "ReceiveMessage":
            yield Permission("kms:Decrypt", key, f"{reason} from an encrypted queue")
    elif service == "sns":
        yield from _sns(operation, names, template, reason)
    elif service == "secretsmanager":
        secret = template.by_suffix("AWS::SecretsManager::Secret", names.get("SecretId", ""))
        arn = template.attribute(secret, "Arn") if secret else f"unknown-secret:{names.get('SecretId')}"
        yield Permission(f"secretsmanager:{operation}", arn, reason)
        key = template.encryption_key(secret) if secret else None
        if key:
            yield Permission("kms:Decrypt", key, f"{reason} of an encrypted secret")
    elif service == "ses":
        yield from _ses(operation, names, template, reason)
    elif service == "sms-voice":
        configuration = template.only_or_by_suffix("AWS::SMSVOICE::ConfigurationSet",
                                                   names.get("ConfigurationSetName", ""))
        yield Permission(f"sms-voice:{operation}", f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:phone-number/origination",
                         reason)
        if names.get("ConfigurationSetName"):
            arn = (template.attribute(configuration, "Arn") if configuration
                   else f"unknown-configuration-set:{names['ConfigurationSetName']}")
            yield Permission(f"sms-voice:{operation}", arn, reason)
    elif service == "translate":
        yield Permission(f"translate:{operation}", "*", reason)  # TranslateText has no resource-level permissions
    elif service == "s3":
        bucket = template.by_suffix("AWS::S3::Bucket", names.get("Bucket", ""))
        arn = template.attribute(bucket, "Arn") if bucket else f"unknown-bucket:{names.get('Bucket')}"
        # IAM checks HeadObject as s3:GetObject; an object is named by its folder (tests/aws_calls.py records no more).
        action = {"HeadObject": "GetObject"}.get(operation, operation)
        yield Permission(f"s3:{action}", f"{arn}/{names.get('KeyPrefix', '')}object", reason)
    elif service == "cognito-idp":
        pool = next(lid for lid, r in template.resources.items() if r["Type"] == "AWS::Cognito::UserPool")
        yield Permission(f"cognito-idp:{operation}", template.attribute(pool, "Arn"), reason)
    elif service == "geo-places":
        yield Permission(f"geo-places:{operation}", f"arn:aws:geo-places:{REGION}::provider/default", reason)
    else:
        yield Permission(f"{service}:{operation}", "*", reason)


def _queue_name(names: dict[str, Any]) -> str:
    if "QueueUrl" in names:
        return urlparse(names["QueueUrl"]).path.rstrip("/").rsplit("/", 1)[-1]
    return str(names.get("QueueName", ""))


def _table_arn(template: Template, table_name: str, index: str | None = None) -> str:
    table = template.by_suffix("AWS::DynamoDB::Table", table_name)
    arn = template.attribute(table, "Arn") if table else f"unknown-table:{table_name}"
    return f"{arn}/index/{index}" if index else arn


def _dynamodb(operation: str, names: dict[str, Any], template: Template, reason: str) -> Iterator[Permission]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for kind, table in names.get("TransactItems", []):
            yield Permission(f"dynamodb:{DYNAMODB_TRANSACT[kind]}", _table_arn(template, table), reason)
        return
    if operation in ("BatchGetItem", "BatchWriteItem"):
        for table in names.get("RequestItems", []):
            yield Permission(f"dynamodb:{operation}", _table_arn(template, table), reason)
        return
    yield Permission(f"dynamodb:{operation}", _table_arn(template, names.get("TableName", ""), names.get("IndexName")),
                     reason)


def _sns(operation: str, names: dict[str, Any], template: Template, reason: str) -> Iterator[Permission]:
    if operation == "Publish" and names.get("PhoneNumber"):
        # SMS straight to a number has no resource to scope to: IAM checks sns:Publish on "*".
        yield Permission("sns:Publish", "*", f"{reason} (SMS)")
        return
    target = names.get("TopicArn") or names.get("TargetArn") or names.get("EndpointArn") \
        or names.get("PlatformApplicationArn") or ""
    if ":endpoint/" in target:
        yield Permission(f"sns:{operation}", f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/{target.split(':endpoint/')[1]}",
                         reason)
        return
    if ":app/" in target:
        yield Permission(f"sns:{operation}", f"arn:aws:sns:{REGION}:{ACCOUNT}:app/{target.split(':app/')[1]}", reason)
        return
    topic = template.by_suffix("AWS::SNS::Topic", target.rsplit(":", 1)[-1])
    arn = template.attribute(topic, "Arn") if topic else f"unknown-topic:{target}"
    yield Permission(f"sns:{operation}", arn, reason)
    key = template.encryption_key(topic) if topic else None
    if key and operation == "Publish":
        yield Permission("kms:GenerateDataKey", key, f"{reason} to an encrypted topic")
        yield Permission("kms:Decrypt", key, f"{reason} to an encrypted topic")


def _ses(operation: str, names: dict[str, Any], template: Template, reason: str) -> Iterator[Permission]:
    identity = next((lid for lid, r in template.resources.items() if r["Type"] == "AWS::SES::EmailIdentity"), None)
    if identity:
        yield Permission(f"ses:{operation}", template.attribute(identity, "Arn"), reason)
    if names.get("ConfigurationSetName"):
        configuration = template.only_or_by_suffix("AWS::SES::ConfigurationSet", names["ConfigurationSetName"])
        arn = (template.attribute(configuration, "Arn") if configuration
               else f"unknown-configuration-set:{names['ConfigurationSetName']}")
        yield Permission(f"ses:{operation}", arn, reason)
    if names.get("TemplateName"):
        yield Permission(f"ses:{operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:template/{names['TemplateName']}",
                         reason)


# --- what AWS does with each function's role ---------------------------------------------------------------------
def platform_permissions(function: str, template: Template) -> Iterator[Permission]:
    properties = template.functions()[function]["Properties"]
    for event in (properties.get("Events") or {}).values():
        if event["Type"] == "SQS":
            arn = str(template.resolve(event["Properties"]["Queue"]))
            queue = template.by_suffix("AWS::SQS::Queue", arn.rsplit(":", 1)[-1])
            for action in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes"):
                yield Permission(f"sqs:{action}", arn, "the SQS event source")
            key = template.encryption_key(queue) if queue else None
            if key:
                yield Permission("kms:Decrypt", key, "the SQS event source reading an encrypted queue")
        if event["Type"] == "DynamoDB":
            stream = str(template.resolve(event["Properties"]["Stream"]))
            for action in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"):
                yield Permission(f"dynamodb:{action}", stream, "the DynamoDB stream event source")
            on_failure = ((event["Properties"].get("DestinationConfig") or {}).get("OnFailure") or {})
            if on_failure.get("Destination"):
                yield from _failure_queue(template, on_failure["Destination"],
                                          "the stream event source's failed-record destination")
    log_group = (properties.get("LoggingConfig") or {}).get("LogGroup")
    if log_group is not None:
        group = template.resolve(log_group)
        arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"
        for action in ("CreateLogStream", "PutLogEvents"):
            yield Permission(f"logs:{action}", arn, "the function's logs")
    else:
        yield Permission("logs:PutLogEvents", "missing-log-group", "the function's logs (no LoggingConfig.LogGroup)")
    if properties.get("Tracing") == "Active":
        for action in ("PutTraceSegments", "PutTelemetryRecords"):
            yield Permission(f"xray:{action}", "*", "X-Ray tracing")
    if properties.get("KmsKeyArn"):
        yield Permission("kms:Decrypt", str(template.resolve(properties["KmsKeyArn"])), "the encrypted environment")
    on_failure = ((properties.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure")
    dead_letters = properties.get("DeadLetterQueue") or (
        {"TargetArn": on_failure["Destination"]} if on_failure and on_failure.get("Type") == "SQS" else None)
    if dead_letters:
        yield from _failure_queue(template, dead_letters["TargetArn"], "the function's dead-letter queue")


def _failure_queue(template: Template, reference: Any, reason: str) -> Iterator[Permission]:
    """What sending a failure to an (encrypted) SQS queue takes, with the function's role."""
    target = str(template.resolve(reference))
    yield Permission("sqs:SendMessage", target, reason)
    queue = template.by_suffix("AWS::SQS::Queue", target.rsplit(":", 1)[-1])
    key = template.encryption_key(queue) if queue else None
    if key:
        yield Permission("kms:GenerateDataKey", key, f"{reason}, encrypted")
        yield Permission("kms:Decrypt", key, f"{reason}, encrypted")


def required(records: Iterable[dict[str, Any]], template: Template) -> dict[str, set[Permission]]:
    needed: dict[str, set[Permission]] = {function: set(platform_permissions(function, template))
                                          for function in template.functions()}
    for record in records:
        for function in functions_of(record, template):
            needed[function].update(permissions_for(record, template))
    return needed


def violations(records: Iterable[dict[str, Any]], template: Template) -> list[Violation]:
    found = []
    for function, permissions in sorted(required(records, template).items()):
        for permission in sorted(permissions, key=lambda p: (p.action, p.resource)):
            if not template.allows(function, permission):
                found.append(Violation(function, permission))
    return found
