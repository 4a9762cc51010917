"""Deploy infra/resources.yaml into the emulator: CloudFormation first, then the service APIs for what moto skips.

moto's CloudFormation builds tables, queues, topics and buckets, but (checked with moto 5.2.5) it skips
`AWS::Cognito::UserPool`, `UserPoolClient`, `UserPoolGroup`, `AWS::SES::EmailIdentity` and
`AWS::SecretsManager::Secret` with only a log line, and it drops a table's `TimeToLiveSpecification` and
`PointInTimeRecoverySpecification`. Every skipped resource is created here through its service API, and every dropped
property is applied afterwards, always from the template's own properties: there is no second list of resources, so
the local stack cannot drift from production. A resource type that neither CloudFormation nor a creator below handles
is an error, not a silent gap, unless it is named in PRODUCTION_ONLY_TYPES (a service the emulator lacks).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

from infra import intrinsics
from infra.local.emulator import REGION

LOG = logging.getLogger(__name__)

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "resources.yaml"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME_FORMAT = "{prefix}-resources"
# Local-only: the voice adapter writes the calls it would have placed here, and the outbox reads them back. It has no
# production counterpart, so it is not in the template.
OUTBOX_BUCKET_FORMAT = "{prefix}-local-outbox"
INBOUND_MAIL_BUCKET_FORMAT = "{prefix}-{account}-inbound-mail"  # InboundMailBucket's BucketName in resources.yaml


@dataclass
class DeployContext:
    """What the creators need: clients, the parameters and the physical ids resolved so far."""

    endpoint: str
    region: str
    parameters: dict[str, str]
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint, region_name=self.region)
        return self._clients[service]

    def resolve(self, value: Any) -> Any:
        """Evaluate the long-form intrinsics the template uses, from what has been deployed so far."""
        return intrinsics.resolve(value, self._ref, lambda logical, attribute: self.attributes[logical][attribute])

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws"}
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.physical_ids[name]


Creator = Callable[[DeployContext, str, dict[str, Any]], str]
Reconciler = Callable[[DeployContext, str, dict[str, Any]], None]


# --- creators: resource types moto's CloudFormation skips. Each takes resolved properties and returns the physical id
# (what `Ref` gives in AWS), finding an existing resource first so that deploying twice is harmless.


def _create_user_pool(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    cognito = ctx.client("cognito-idp")
    name = props["UserPoolName"]
    existing = [pool["Id"] for pool in cognito.list_user_pools(MaxResults=60)["UserPools"] if pool["Name"] == name]
    if existing:
        pool_id = str(existing[0])
    else:
        # CloudFormation's property names are the API's parameter names, except for the pool's name and the MFA
        # methods, which the API sets apart (SetUserPoolMfaConfig).
        params = {key: value for key, value in props.items() if key not in ("UserPoolName", "EnabledMfas")}
        pool_id = str(cognito.create_user_pool(PoolName=name, **params)["UserPool"]["Id"])
        if props.get("MfaConfiguration", "OFF") != "OFF":
            cognito.set_user_pool_mfa_config(
                UserPoolId=pool_id, MfaConfiguration=props["MfaConfiguration"],
                SoftwareTokenMfaConfiguration={"Enabled": "SOFTWARE_TOKEN_MFA" in props.get("EnabledMfas", [])})
    ctx.attributes[logical_id] = {
        "Arn": f"arn:aws:cognito-idp:{ctx.region}:{ACCOUNT_ID}:userpool/{pool_id}",
        "ProviderName": f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}",
    }
    return pool_id


def _create_user_pool_client(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    cognito = ctx.client("cognito-idp")
    pool_id = props["UserPoolId"]
    for existing in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]:
        if existing["ClientName"] == props["ClientName"]:
            return str(existing["ClientId"])
    client = cognito.create_user_pool_client(**props)["UserPoolClient"]
    return str(client["ClientId"])


def _create_user_pool_group(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    cognito = ctx.client("cognito-idp")
    with contextlib.suppress(cognito.exceptions.GroupExistsException):
        cognito.create_group(**props)
    return str(props["GroupName"])


def _create_email_identity(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    identity = str(props["EmailIdentity"])
    sesv2 = ctx.client("sesv2")
    with contextlib.suppress(sesv2.exceptions.AlreadyExistsException):
        sesv2.create_email_identity(EmailIdentity=identity)
    # The emulator refuses to send from an unverified identity (DESIGN.md); identities created through SESv2 are
    # verified at once, and the v1 call below covers the v1 bulk sends too. Both are idempotent.
    ctx.client("ses").verify_email_identity(EmailAddress=identity)
    return identity


def _generate_secret_string(spec: Mapping[str, Any]) -> str:
    """What Secrets Manager's GenerateSecretString produces, using `secrets` for the random part."""
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation", False):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    excluded = str(spec.get("ExcludeCharacters", ""))
    alphabet = "".join(ch for ch in alphabet if ch not in excluded)
    length = int(spec.get("PasswordLength", 32))
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    if "GenerateStringKey" not in spec:
        return value
    document = json.loads(spec.get("SecretStringTemplate", "{}"))
    document[spec["GenerateStringKey"]] = value
    return json.dumps(document)


def _create_secret(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    manager = ctx.client("secretsmanager")
    name = props["Name"]
    try:
        return str(manager.describe_secret(SecretId=name)["ARN"])
    except manager.exceptions.ResourceNotFoundException:
        pass
    if "SecretString" in props:
        value = str(props["SecretString"])
    else:
        value = _generate_secret_string(props.get("GenerateSecretString", {}))
    params: dict[str, Any] = {"Name": name, "SecretString": value}
    for key in ("Description", "KmsKeyId", "Tags"):
        if key in props:
            params[key] = props[key]
    return str(manager.create_secret(**params)["ARN"])


def _create_ses_configuration_set(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    name = str(props["Name"])
    sesv2 = ctx.client("sesv2")
    # SESv2's parameters are CloudFormation's property names, except the name itself.
    params = {key: value for key, value in props.items()
              if key in ("TrackingOptions", "DeliveryOptions", "ReputationOptions", "SendingOptions",
                         "SuppressionOptions", "VdmOptions", "Tags")}
    try:
        sesv2.get_configuration_set(ConfigurationSetName=name)
    except ClientError:
        sesv2.create_configuration_set(ConfigurationSetName=name, **params)
    return name


def _create_ses_event_destination(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    # moto implements the SES v1 call (not SESv2's); its shape differs from CloudFormation's only in the SNS key.
    destination = dict(props["EventDestination"])
    if "SnsDestination" in destination:
        destination["SNSDestination"] = destination.pop("SnsDestination")
    try:
        ctx.client("ses").create_configuration_set_event_destination(
            ConfigurationSetName=props["ConfigurationSetName"], EventDestination=destination)
    except ClientError as error:
        # moto names event destinations account-wide, so another stack's copy of this one counts as existing.
        if "AlreadyExists" not in str(error.response.get("Error", {}).get("Code")):
            raise
    return f"{props['ConfigurationSetName']}|{destination['Name']}"


def _create_topic_policy(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    # SetTopicAttributes replaces the policy, so redeploying is safe.
    policy = json.dumps(props["PolicyDocument"])
    for topic_arn in props["Topics"]:
        ctx.client("sns").set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=policy)
    return logical_id


def _create_log_group(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    logs = ctx.client("logs")
    name = str(props["LogGroupName"])
    if not any(group["logGroupName"] == name
               for group in logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])):
        logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    ctx.attributes[logical_id] = {"Arn": f"arn:aws:logs:{ctx.region}:{ACCOUNT_ID}:log-group:{name}:*"}
    return name


def _create_alarm(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    # CloudFormation's property names are PutMetricAlarm's parameters; it creates or replaces, so redeploying is safe.
    ctx.client("cloudwatch").put_metric_alarm(**props)
    return str(props["AlarmName"])


def _create_receipt_rule_set(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    name = str(props["RuleSetName"])
    try:
        ctx.client("ses").create_receipt_rule_set(RuleSetName=name)
    except ClientError as error:
        if "AlreadyExists" not in str(error.response.get("Error", {}).get("Code")):
            raise
    # In AWS an operator makes it active once (docs/operations.md); the emulator's stack is the only one receiving.
    ctx.client("ses").set_active_receipt_rule_set(RuleSetName=name)
    return name


def _create_receipt_rule(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    rule = dict(props["Rule"])
    try:
        ctx.client("ses").create_receipt_rule(RuleSetName=props["RuleSetName"], Rule=rule)
    except ClientError as error:
        if "AlreadyExists" not in str(error.response.get("Error", {}).get("Code")):
            raise
    return f"{props['RuleSetName']}|{rule['Name']}"


def _create_bucket_policy(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    # PutBucketPolicy replaces the policy, so redeploying is safe. The emulator speaks plain HTTP and enforces bucket
    # policies, so a statement that denies requests without TLS would refuse every local call: it is left out here
    # (and logged); in AWS it stands.
    document = dict(props["PolicyDocument"])
    statements = [statement for statement in document.get("Statement", [])
                  if "aws:SecureTransport" not in json.dumps(statement.get("Condition", {}))]
    if len(statements) != len(document.get("Statement", [])):
        LOG.info("%s: the TLS-only statement is left out locally (the emulator has no TLS)", logical_id)
    document["Statement"] = statements
    ctx.client("s3").put_bucket_policy(Bucket=str(props["Bucket"]), Policy=json.dumps(document))
    return logical_id


CREATORS: dict[str, Creator] = {
    "AWS::S3::BucketPolicy": _create_bucket_policy,
    "AWS::SES::ReceiptRuleSet": _create_receipt_rule_set,
    "AWS::SES::ReceiptRule": _create_receipt_rule,
    "AWS::Cognito::UserPool": _create_user_pool,
    "AWS::Cognito::UserPoolClient": _create_user_pool_client,
    "AWS::Cognito::UserPoolGroup": _create_user_pool_group,
    "AWS::SES::EmailIdentity": _create_email_identity,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::CloudWatch::Alarm": _create_alarm,
    "AWS::SES::ConfigurationSet": _create_ses_configuration_set,
    "AWS::SES::ConfigurationSetEventDestination": _create_ses_event_destination,
    "AWS::SNS::TopicPolicy": _create_topic_policy,
    "AWS::Logs::LogGroup": _create_log_group,
}

# Types kept out of the emulator's stack and made by their creator instead, because their names belong to the account
# rather than to one prefix (SNS fixes the SMS delivery-status log groups' names), so every local stack (and every
# test's fresh stack) shares them: a second CloudFormation stack would fail on "already exists".
ACCOUNT_WIDE_TYPES = frozenset({"AWS::Logs::LogGroup"})

# Types of services the emulator does not have at all: deployed in AWS only, and recorded (in `production_only` and
# with a `production-only:` physical id) rather than created. The app never calls these services locally
# (HEXWATCH_VOICE=local-outbox writes calls to the outbox instead of placing them).
PRODUCTION_ONLY_TYPES = frozenset({
    "AWS::SMSVOICE::ConfigurationSet",  # Pinpoint SMS Voice v2 (moto has no pinpoint-sms-voice-v2)
})
PRODUCTION_ONLY_PREFIX = "production-only:"


# --- reconcilers: resource types moto's CloudFormation creates but with properties dropped.


def _reconcile_table(ctx: DeployContext, physical_id: str, props: dict[str, Any]) -> None:
    dynamodb = ctx.client("dynamodb")
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = dynamodb.describe_time_to_live(TableName=physical_id)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") != "ENABLED":
            dynamodb.update_time_to_live(
                TableName=physical_id,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
    stream = props.get("StreamSpecification")
    if stream and not dynamodb.describe_table(TableName=physical_id)["Table"].get("LatestStreamArn"):
        dynamodb.update_table(TableName=physical_id, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": stream["StreamViewType"]})
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and pitr.get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=physical_id, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def _reconcile_bucket(ctx: DeployContext, physical_id: str, props: dict[str, Any]) -> None:
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        ctx.client("s3").put_public_access_block(Bucket=physical_id, PublicAccessBlockConfiguration=block)


RECONCILERS: dict[str, Reconciler] = {
    "AWS::DynamoDB::Table": _reconcile_table,
    "AWS::S3::Bucket": _reconcile_bucket,
}


# --- the deploy


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if not isinstance(loaded, dict):
        raise TypeError(f"{path} is not a CloudFormation template")
    return loaded


def _dependencies(value: Any) -> set[str]:
    """Logical ids a property value refers to, so that creators run after what they reference."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _dependencies(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref":
                found.add(str(item))
            elif key == "Fn::GetAtt":
                found.add(str(item[0] if isinstance(item, list) else str(item).split(".", 1)[0]))
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found |= {name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", str(text))}
                if isinstance(item, list):
                    found |= _dependencies(item[1])
            else:
                found |= _dependencies(item)
    return found


def _in_dependency_order(resources: Mapping[str, Any], logical_ids: list[str]) -> list[str]:
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered or logical_id not in logical_ids:
            return
        if logical_id in visiting:
            raise ValueError(f"circular reference through {logical_id}")
        visiting.add(logical_id)
        for dependency in sorted(_dependencies(resources[logical_id].get("Properties", {}))):
            visit(dependency)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in logical_ids:
        visit(logical_id)
    return ordered


def _wait_for_stack(cfn: Any, stack_name: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = str(stack["StackStatus"])
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return dict(stack)
        if status.endswith("_FAILED") or "ROLLBACK" in status:
            raise RuntimeError(f"stack {stack_name} ended in {status}: {stack.get('StackStatusReason')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {stack_name} still {status} after {timeout} s")
        time.sleep(0.2)


def _create_or_reuse_stack(cfn: Any, stack_name: str, body: str, parameters: dict[str, str]) -> dict[str, Any]:
    try:
        return _wait_for_stack(cfn, stack_name)
    except ClientError as error:
        if "does not exist" not in str(error):
            raise
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=body,
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
    )
    return _wait_for_stack(cfn, stack_name)


def _stack_physical_ids(cfn: Any, stack_name: str) -> dict[str, str]:
    """Logical id -> physical id for what moto's CloudFormation really created (skipped types come back blank)."""
    summaries = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    return {
        str(item["LogicalResourceId"]): str(item["PhysicalResourceId"])
        for item in summaries
        if item.get("LogicalResourceId") and item.get("PhysicalResourceId")
    }


def _attributes_for(ctx: DeployContext, resource_type: str, physical_id: str) -> dict[str, str]:
    """The Fn::GetAtt values other creators may need from a resource CloudFormation created."""
    if resource_type == "AWS::SQS::Queue":
        name = physical_id.rsplit("/", 1)[-1]
        return {"Arn": f"arn:aws:sqs:{ctx.region}:{ACCOUNT_ID}:{name}", "QueueName": name, "QueueUrl": physical_id}
    if resource_type == "AWS::SNS::Topic":
        return {"TopicArn": physical_id, "TopicName": physical_id.rsplit(":", 1)[-1]}
    if resource_type == "AWS::DynamoDB::Table":
        return {"Arn": f"arn:aws:dynamodb:{ctx.region}:{ACCOUNT_ID}:table/{physical_id}"}
    if resource_type == "AWS::S3::Bucket":
        return {"Arn": f"arn:aws:s3:::{physical_id}", "DomainName": f"{physical_id}.s3.amazonaws.com"}
    if resource_type == "AWS::KMS::Key":
        return {"Arn": f"arn:aws:kms:{ctx.region}:{ACCOUNT_ID}:key/{physical_id}", "KeyId": physical_id}
    return {}


def deploy(
    endpoint: str,
    prefix: str = "hexwatch",
    sender_email: str = "alerts@hexwatch.example",
    template_path: Path = TEMPLATE_PATH,
    region: str = REGION,
) -> dict[str, Any]:
    """Create every resource of the template in the emulator at `endpoint`; return names and ids the app needs.

    Keys of the result: stack_name, prefix, region, endpoint, sender_email, user_pool_id, user_pool_client_id,
    jwks_url, tables / queues / topics / secrets (template suffix -> name, e.g. tables["subscribers"]), queue_urls
    (suffix -> URL), topic_arns, site_bucket, outbox_bucket, physical_ids (logical id -> physical id), created_by_api
    (logical ids that moto's CloudFormation skipped and this function created) and outputs (the stack's Outputs).
    """
    template = load_template(template_path)
    resources: dict[str, Any] = template.get("Resources", {})
    parameters = {"Prefix": prefix, "SenderEmail": sender_email}
    ctx = DeployContext(endpoint=endpoint, region=region, parameters=parameters)
    cfn = ctx.client("cloudformation")
    stack_name = STACK_NAME_FORMAT.format(prefix=prefix)
    body = template_path.read_text(encoding="utf-8")
    if any(resource["Type"] in ACCOUNT_WIDE_TYPES for resource in resources.values()):
        body = yaml.safe_dump({**template, "Resources": {lid: resource for lid, resource in resources.items()
                                                         if resource["Type"] not in ACCOUNT_WIDE_TYPES}},
                              sort_keys=False)
    _create_or_reuse_stack(cfn, stack_name, body, parameters)

    ctx.physical_ids.update(_stack_physical_ids(cfn, stack_name))
    for logical_id, physical_id in ctx.physical_ids.items():
        ctx.attributes[logical_id] = _attributes_for(ctx, resources[logical_id]["Type"], physical_id)

    skipped = [logical_id for logical_id in resources if logical_id not in ctx.physical_ids]
    production_only = [lid for lid in skipped if resources[lid]["Type"] in PRODUCTION_ONLY_TYPES]
    for logical_id in production_only:
        ctx.physical_ids[logical_id] = f"{PRODUCTION_ONLY_PREFIX}{logical_id}"
        LOG.info("%s (%s) exists in AWS only; not created locally", logical_id, resources[logical_id]["Type"])
    skipped = [lid for lid in skipped if lid not in production_only]
    unhandled = [f"{lid} ({resources[lid]['Type']})" for lid in skipped if resources[lid]["Type"] not in CREATORS]
    if unhandled:
        raise NotImplementedError(f"moto's CloudFormation skipped resources with no local creator: {unhandled}")
    for logical_id in _in_dependency_order(resources, skipped):
        resource = resources[logical_id]
        props = ctx.resolve(resource.get("Properties", {}))
        ctx.physical_ids[logical_id] = CREATORS[resource["Type"]](ctx, logical_id, props)
        LOG.info("created %s (%s) through the service API", logical_id, resource["Type"])

    for logical_id, resource in resources.items():
        reconcile = RECONCILERS.get(resource["Type"])
        if reconcile is not None and logical_id not in skipped:
            reconcile(ctx, ctx.physical_ids[logical_id], ctx.resolve(resource.get("Properties", {})))

    outbox_bucket = OUTBOX_BUCKET_FORMAT.format(prefix=prefix)
    _ensure_bucket(ctx, outbox_bucket)
    outputs = _outputs(ctx, template, resources, skipped, stack_name, prefix, sender_email, outbox_bucket)
    outputs["production_only"] = production_only
    outputs["push_platforms"] = {"fcm": _ensure_push_platform(ctx, f"{prefix}-local-fcm")}
    return outputs


def _ensure_push_platform(ctx: DeployContext, name: str) -> str:
    """A push platform application for the local stack, so that devices get real (emulated) SNS endpoints.

    In AWS the platform applications hold FCM and APNs credentials, which are secrets and set up by hand; their ARNs
    reach the app through HEXWATCH_PUSH_PLATFORMS.
    """
    sns = ctx.client("sns")
    for application in sns.list_platform_applications().get("PlatformApplications", []):
        if application["PlatformApplicationArn"].endswith(f"/{name}"):
            return str(application["PlatformApplicationArn"])
    created = sns.create_platform_application(Name=name, Platform="GCM",
                                              Attributes={"PlatformCredential": "local-emulator-no-credential"})
    return str(created["PlatformApplicationArn"])


def _ensure_bucket(ctx: DeployContext, name: str) -> None:
    s3 = ctx.client("s3")
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": ctx.region})


def _suffix(name: str, prefix: str) -> str:
    return name[len(prefix) + 1 :] if name.startswith(f"{prefix}-") else name


def _outputs(
    ctx: DeployContext,
    template: dict[str, Any],
    resources: dict[str, Any],
    skipped: list[str],
    stack_name: str,
    prefix: str,
    sender_email: str,
    outbox_bucket: str,
) -> dict[str, Any]:
    by_type: dict[str, list[str]] = {}
    for logical_id, resource in resources.items():
        by_type.setdefault(resource["Type"], []).append(logical_id)
    sqs = ctx.client("sqs")

    tables = {
        _suffix(name, prefix): name
        for name in (ctx.physical_ids[lid] for lid in by_type.get("AWS::DynamoDB::Table", []))
    }
    queue_names = [ctx.attributes[lid]["QueueName"] for lid in by_type.get("AWS::SQS::Queue", [])]
    # moto's CloudFormation reports queue URLs with the AWS host; ask the emulator for URLs that point at itself.
    queue_urls = {_suffix(name, prefix): str(sqs.get_queue_url(QueueName=name)["QueueUrl"]) for name in queue_names}
    topic_arns = {
        _suffix(ctx.attributes[lid]["TopicName"], prefix): ctx.physical_ids[lid]
        for lid in by_type.get("AWS::SNS::Topic", [])
    }
    secret_names = [
        ctx.resolve(resources[lid]["Properties"])["Name"] for lid in by_type.get("AWS::SecretsManager::Secret", [])
    ]
    pools = by_type.get("AWS::Cognito::UserPool", [])
    clients = by_type.get("AWS::Cognito::UserPoolClient", [])
    buckets = by_type.get("AWS::S3::Bucket", [])
    user_pool_id = ctx.physical_ids[pools[0]] if pools else None
    outputs = {key: str(ctx.resolve(spec["Value"])) for key, spec in template.get("Outputs", {}).items()}
    return {
        "stack_name": stack_name,
        "prefix": prefix,
        "region": ctx.region,
        "endpoint": ctx.endpoint,
        "sender_email": sender_email,
        "user_pool_id": user_pool_id,
        "user_pool_client_id": ctx.physical_ids[clients[0]] if clients else None,
        "jwks_url": f"{ctx.endpoint}/{user_pool_id}/.well-known/jwks.json" if user_pool_id else None,
        "tables": tables,
        "queues": {_suffix(name, prefix): name for name in queue_names},
        "queue_urls": queue_urls,
        "topics": {suffix: arn.rsplit(":", 1)[-1] for suffix, arn in topic_arns.items()},
        "topic_arns": topic_arns,
        "secrets": {_suffix(name, prefix): name for name in secret_names},
        "site_bucket": ctx.physical_ids[buckets[0]] if buckets else None,
        "outbox_bucket": outbox_bucket,
        "physical_ids": dict(ctx.physical_ids),
        "created_by_api": list(skipped),
        "outputs": outputs,
    }


LOCAL_TWO_WAY_NUMBER = "+447700900123"  # Ofcom's range for drama: never a real phone


def app_env(outputs: Mapping[str, Any], site_url: str | None = None) -> dict[str, str]:
    """The HEXWATCH_* variables that point the app at a deployed stack (names from functions/chalicelib/config.py)."""
    env = {
        "HEXWATCH_PREFIX": str(outputs["prefix"]),
        "HEXWATCH_SENDER_EMAIL": str(outputs["sender_email"]),
        "HEXWATCH_GEOCODER": "outcodes",
        "HEXWATCH_USER_POOL_ID": str(outputs["user_pool_id"]),
        "HEXWATCH_USER_POOL_CLIENT_ID": str(outputs["user_pool_client_id"]),
        "HEXWATCH_JWKS_URL": str(outputs["jwks_url"]),
        # The emulator lacks SESv2 SendBulkEmail and Pinpoint SMS Voice v2: send each email on its own, and write
        # voice calls to the local outbox bucket (marked as simulated).
        "HEXWATCH_BULK_EMAIL": "sesv2-single",
        "HEXWATCH_VOICE": "local-outbox",
        # Nor Amazon Translate: residents whose language the alert is not written in get the original with a note in
        # their language, which the outbox shows (domain/translation.py).
        "HEXWATCH_TRANSLATE": "none",
        # The emulator has no End User Messaging SMS either: the two-way number is a reserved drama number, texts
        # to it are published to the inbound topic in the provider's shape (infra/local/outbox.py, `text_us`), and
        # the opt-out list is kept in the outbox bucket.
        "HEXWATCH_SMS_ORIGINATION_NUMBER": LOCAL_TWO_WAY_NUMBER,
        "HEXWATCH_OPT_OUT_LIST": "local-outbox",
        "HEXWATCH_INBOUND_MAIL_BUCKET": INBOUND_MAIL_BUCKET_FORMAT.format(prefix=outputs["prefix"], account=ACCOUNT_ID),
        "HEXWATCH_ORGANISATIONS": json.dumps({"staffordshire": {"name": "Staffordshire Police (demo)"}}),
    }
    if outputs.get("push_platforms"):
        env["HEXWATCH_PUSH_PLATFORMS"] = json.dumps(outputs["push_platforms"])
    if site_url is not None:
        # The site server proxies /v1/* to the API, so the site and the API share one origin, as behind CloudFront.
        env["HEXWATCH_SITE_URL"] = site_url
        env["HEXWATCH_API_URL"] = site_url
    return env
