"""What each Lambda function is given in the deployed template, generated into `make package` as one more fragment:

- its own role, with only the actions it uses on only the resources it uses (ARNs from the template), and an explicit
  Deny of changing the audit log;
- its own log group, encrypted with the data key and kept `LogRetentionDays`;
- the dependency layer;
- a concurrency cap, sized for the delivery functions from the provider quotas in `infra/quotas.py`;
- alarms on its errors and throttles.

Written in Python rather than YAML because twelve roles share most of their statements: the shared parts are named
once here. tests/security/test_least_privilege.py proves each role allows every call its function was seen making
in the whole test suite; a statement no call needs should not be here either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra import quotas

GET, BATCH_GET, QUERY, SCAN = "GetItem", "BatchGetItem", "Query", "Scan"
PUT, UPDATE, DELETE, BATCH_WRITE, CHECK = "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "ConditionCheckItem"


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def table(logical_id: str, *actions: str, indexes: tuple[str, ...] = ()) -> dict[str, Any]:
    resources: list[Any] = [_arn(logical_id)]
    resources += [{"Fn::Sub": f"${{{logical_id}.Arn}}/index/{index}"} for index in indexes]
    return {"Effect": "Allow", "Action": [f"dynamodb:{action}" for action in actions], "Resource": resources}


def send_to(*queues: str) -> dict[str, Any]:
    # GetQueueUrl: the adapters find a queue by the name config.py gives it.
    return {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"], "Resource": [_arn(q) for q in queues]}


def secrets(*logical_ids: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [{"Ref": secret} for secret in logical_ids]}


# Every encrypted queue, topic and secret uses DataKey: reading needs Decrypt, writing GenerateDataKey as well.
USE_DATA_KEY = {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": _arn("DataKey")}
# Publishing straight to a phone number has no resource to scope to: IAM checks sns:Publish against "*". Only the two
# functions that text residents have it.
SMS = {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "*"}
AUDIT_LOG_IS_APPEND_ONLY = {
    "Effect": "Deny",
    "Action": ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQL*"],
    "Resource": [_arn("AuditLogTable")],
}
IDEMPOTENCY = table("IdempotencyTable", GET, PUT, UPDATE, DELETE)
RESIDENT_KEYS = secrets("SigningKeysSecret", "ContactHashSecret")
# Calls from the force's origination number (or pool), with the voice configuration set: alerts read aloud, and the
# codes read to landlines at signup and sign-in.
VOICE_CALLS = {
    "Effect": "Allow", "Action": ["sms-voice:SendVoiceMessage"],
    "Resource": [
        {"Fn::Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:phone-number/*"},
        {"Fn::Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:pool/*"},
        {"Fn::GetAtt": ["VoiceConfigurationSet", "Arn"]},
    ]}


def ses_send(action: str) -> dict[str, Any]:
    # SES checks the sending identity and the configuration set the message names.
    ses = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
    return {"Effect": "Allow", "Action": [f"ses:{action}"],
            "Resource": [{"Fn::Sub": f"{ses}:identity/${{SenderEmail}}"},
                         {"Fn::Sub": f"{ses}:configuration-set/${{SesConfigurationSet}}"}]}


def push_endpoints(*actions: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": [f"sns:{action}" for action in actions],
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:endpoint/*"}}


# Machine translation of alerts' words (adapters/translations.py): TranslateText has no resource to scope to (IAM
# checks it against *); each text and language is translated once, claimed and kept in the translations table, and
# named areas are read by name so that they are never translated.
TRANSLATE = [
    {"Effect": "Allow", "Action": ["translate:TranslateText"], "Resource": "*"},
    table("TranslationsTable", GET, PUT),
    table("AreasTable", BATCH_GET),
]
# What the delivery functions share: the ledger, the recipients, the alert and its audit entries, and the translations.
DELIVERY = [
    *TRANSLATE,
    table("DeliveriesTable", GET, BATCH_GET, QUERY, PUT, UPDATE, CHECK),
    table("SubscribersTable", GET, BATCH_GET),
    table("SuppressionsTable", GET, BATCH_GET),
    table("AlertsTable", GET, PUT, UPDATE, CHECK),
    table("AuditLogTable", PUT),
    IDEMPOTENCY, RESIDENT_KEYS, USE_DATA_KEY,
]
# The asynchronous event handlers: receipts land in the ledger; what fails twice goes to their dead-letter queue.
RECEIPTS = [
    table("DeliveriesTable", GET, QUERY, UPDATE, indexes=("by-contact",)),
    send_to("EventHandlersDeadLetterQueue"), USE_DATA_KEY,
]


def consume(queue: str) -> dict[str, Any]:
    # The SQS event source polls with the function's role.
    return {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": _arn(queue)}


# Queue-fed functions: the queue each one is fed by.
FED_BY = {"SendTransactional": "TransactionalQueue", "TargetAlerts": "TargetingQueue",
          "DeliverEmail": "DeliverEmailQueue", "DeliverSms": "DeliverSmsQueue", "DeliverVoice": "DeliverVoiceQueue",
          "DeliverPush": "DeliverPushQueue", "DeliverWebhooks": "WebhookQueue"}


# Stream-fed functions: the table whose stream feeds each one, and where a record goes that fails every retry.
FED_BY_STREAM = {"AggregateStats": ("SubscribersTable", "StatsDeadLetterQueue")}
STREAM_MAX_RETRIES = 10  # then bisected batches and, last, the dead-letter queue: a poison record never stalls a shard


def read_stream(table_logical_id: str) -> dict[str, Any]:
    # The stream event source polls with the function's role.
    return {"Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                                         "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
            "Resource": {"Fn::GetAtt": [table_logical_id, "StreamArn"]}}


# The functions that text residents: their SMS go from the two-way number, whose replies reach HandleInboundSms.
TEXTS_RESIDENTS = ("SendTransactional", "DeliverSms", "HandleInboundSms")
PLACES_CALLS = ("SendTransactional", "DeliverVoice")

# Topic-fed functions: the topic each one subscribes to.
FED_BY_TOPIC = {"HandleSesEvent": "SesEventsTopic", "HandleVoiceEvent": "VoiceEventsTopic",
                "HandleInboundSms": "InboundSmsTopic", "HandleInboundEmail": "InboundMailTopic"}


@dataclass(frozen=True)
class Function:
    logical_id: str
    statements: list[dict[str, Any]]
    log_name: str
    reserved_concurrency: int
    sqs_maximum_concurrency: int | None = None
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str:
        # Chalice's names for the roles it generates, one per function.
        return "ApiHandlerRole" if self.logical_id == "APIHandler" else f"{self.logical_id}Role"


FUNCTIONS = [
    Function("APIHandler", log_name="api", reserved_concurrency=quotas.API_CONCURRENCY, statements=[
        table("SubscribersTable", GET, BATCH_GET, PUT, UPDATE, DELETE, CHECK),
        table("ContactsTable", GET, BATCH_GET, PUT, UPDATE, DELETE, CHECK),
        table("LocationsTable", GET, QUERY, PUT, DELETE),
        table("SuppressionsTable", GET, BATCH_GET, PUT, DELETE),
        table("RateLimitsTable", GET, UPDATE),
        table("RedeemedLinksTable", GET, PUT),
        table("ResidentSessionsTable", GET, QUERY, PUT, UPDATE, DELETE, BATCH_WRITE),
        table("AreasTable", GET, BATCH_GET, QUERY, PUT, DELETE, BATCH_WRITE),
        table("AlertsTable", GET, QUERY, PUT, UPDATE, CHECK),
        table("AuditLogTable", PUT, QUERY),  # alerts' trail: appended to and read, never changed
        table("StatsTable", QUERY),  # the dashboard reads the counters the stream keeps
        table("OfficersTable", GET, PUT, DELETE, QUERY, indexes=("by-organisation",)),
        table("OrganisationsTable", GET, PUT, SCAN),
        table("PreviewsTable", GET, PUT),
        # Previews show officers the translations residents will get (the same table the delivery functions use).
        *TRANSLATE,
        # Replies: the inbox (by state), one alert's (by alert), marking and answering them; a resident's on the web
        # (Put); erasure (by resident).
        table("RepliesTable", GET, QUERY, PUT, UPDATE, indexes=("by-alert", "by-state", "by-resident")),
        # Officers' download links for residents' attachments (presigned with this role: no call is made here).
        {"Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": {"Fn::Sub": "${InboundMailBucket.Arn}/attachments/*"}},
        # Survey answers: a resident's on the web (one item each, replaced), the officers' counts, erasure.
        table("SurveyAnswersTable", GET, QUERY, PUT, DELETE, indexes=("by-resident",)),
        # Progress (targeting, tally) and erasure: found by contact, each entry replaced by its tombstone (Put) with
        # an `erased` tally update (Update) in one transaction, read again (Get) when a worker moved it meanwhile.
        table("DeliveriesTable", GET, QUERY, PUT, UPDATE, indexes=("by-contact",)),
        IDEMPOTENCY,
        send_to("TransactionalQueue", "TargetingQueue", "WebhookQueue"),
        # Partners read how their webhook events went (signed GET /v1/partners/{id}/webhook-deliveries).
        table("WebhookDeliveriesTable", QUERY),
        secrets("SigningKeysSecret", "ContactHashSecret", "OriginVerifySecret"),
        push_endpoints("DeleteEndpoint", "SetEndpointAttributes"),
        {"Effect": "Allow", "Action": ["sns:CreatePlatformEndpoint"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:app/*"}},
        {"Effect": "Allow", "Action": ["cognito-idp:AdminGetUser"], "Resource": _arn("OfficersUserPool")},
        {"Effect": "Allow", "Action": ["geo-places:Geocode"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:geo-places:${AWS::Region}::provider/default"}},
        USE_DATA_KEY,
    ]),
    Function("OfficerAuthorizer", log_name="authorizer", reserved_concurrency=quotas.AUTHORIZER_CONCURRENCY,
             statements=[table("OfficersTable", GET), table("OrganisationsTable", GET)]),
    Function("SendTransactional", log_name="send-transactional",
             reserved_concurrency=quotas.TRANSACTIONAL_CONCURRENCY,
             sqs_maximum_concurrency=quotas.TRANSACTIONAL_CONCURRENCY, statements=[
                 table("SubscribersTable", GET), table("ContactsTable", GET, UPDATE),
                 table("SuppressionsTable", GET, BATCH_GET),
                 IDEMPOTENCY, RESIDENT_KEYS, ses_send("SendEmail"), SMS, VOICE_CALLS, USE_DATA_KEY,
             ]),
    # Partners' webhooks: the partners and the alert an event is about, the deliveries' records, the fan-out back onto
    # its own queue, and a failed message's delay (ChangeMessageVisibility, GetQueueUrl to name the queue).
    Function("DeliverWebhooks", log_name="deliver-webhooks", reserved_concurrency=quotas.EVENT_HANDLER_CONCURRENCY,
             sqs_maximum_concurrency=quotas.EVENT_HANDLER_CONCURRENCY, statements=[
                 table("OrganisationsTable", GET, SCAN),
                 table("AlertsTable", GET),
                 table("WebhookDeliveriesTable", QUERY, PUT),
                 send_to("WebhookQueue"),
                 {"Effect": "Allow", "Action": ["sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"],
                  "Resource": _arn("WebhookQueue")},
                 USE_DATA_KEY,
             ]),
    Function("TargetAlerts", log_name="target-alerts", reserved_concurrency=quotas.TARGETING_CONCURRENCY,
             sqs_maximum_concurrency=quotas.TARGETING_CONCURRENCY, statements=[
                 table("AreasTable", GET, BATCH_GET, QUERY),
                 table("LocationsTable", QUERY),
                 table("SubscribersTable", GET, BATCH_GET),
                 table("SuppressionsTable", GET, BATCH_GET),
                 # Recipients: conditional Puts. By contact: whether an earlier alert of the same appeal, from
                 # another sender, reached a recipient (services/pipeline/duplicates.py).
                 table("DeliveriesTable", GET, QUERY, PUT, UPDATE, CHECK, indexes=("by-contact",)),
                 # Query: the force's recent alerts, to link a new one to the same appeal sent before.
                 table("AlertsTable", GET, QUERY, PUT, UPDATE, CHECK),
                 table("AuditLogTable", PUT),
                 table("PreviewsTable", GET, PUT, UPDATE),
                 IDEMPOTENCY, RESIDENT_KEYS,
                 send_to("TargetingQueue", "DeliverEmailQueue", "DeliverSmsQueue", "DeliverVoiceQueue",
                         "DeliverPushQueue", "WebhookQueue"),
                 USE_DATA_KEY,
             ]),
    Function("DeliverEmail", log_name="deliver-email", reserved_concurrency=quotas.channel("email").concurrency,
             sqs_maximum_concurrency=quotas.channel("email").concurrency,
             environment=quotas.channel("email").environment(),
             statements=[*DELIVERY, send_to("DeliverEmailQueue"), ses_send("SendBulkEmail")]),
    Function("DeliverSms", log_name="deliver-sms", reserved_concurrency=quotas.channel("sms").concurrency,
             sqs_maximum_concurrency=quotas.channel("sms").concurrency,
             environment=quotas.channel("sms").environment(),
             statements=[*DELIVERY, send_to("DeliverSmsQueue"), SMS]),
    Function("DeliverVoice", log_name="deliver-voice", reserved_concurrency=quotas.channel("voice").concurrency,
             sqs_maximum_concurrency=quotas.channel("voice").concurrency,
             environment=quotas.channel("voice").environment(),
             statements=[*DELIVERY, send_to("DeliverVoiceQueue"), VOICE_CALLS]),
    Function("DeliverPush", log_name="deliver-push", reserved_concurrency=quotas.channel("push").concurrency,
             sqs_maximum_concurrency=quotas.channel("push").concurrency,
             environment=quotas.channel("push").environment(),
             statements=[*DELIVERY, send_to("DeliverPushQueue"), push_endpoints("Publish")]),
    Function("HandleSesEvent", log_name="ses-events", reserved_concurrency=quotas.EVENT_HANDLER_CONCURRENCY,
             statements=[*RECEIPTS, table("ContactsTable", GET), table("SuppressionsTable", GET, PUT),
                         RESIDENT_KEYS]),
    Function("HandleVoiceEvent", log_name="voice-events", reserved_concurrency=quotas.EVENT_HANDLER_CONCURRENCY,
             statements=RECEIPTS),
    Function("HandleInboundSms", log_name="inbound-sms", reserved_concurrency=quotas.EVENT_HANDLER_CONCURRENCY,
             statements=[
                 # The newest alert that reached the number (by contact), its plan (the organisation) and the alert.
                 table("DeliveriesTable", GET, QUERY, indexes=("by-contact",)),
                 table("AlertsTable", GET),
                 table("RepliesTable", PUT),
                 # A texted option's number: the answer, in the alert's named area that holds the resident.
                 table("SurveyAnswersTable", GET, PUT),
                 table("AreasTable", BATCH_GET),
                 # STOP and START: the number's suppression item, and its owner's channels (profile and places).
                 table("SuppressionsTable", GET, UPDATE),
                 table("ContactsTable", GET),
                 table("SubscribersTable", GET, PUT),  # the profile is rewritten whole, in one transaction
                 table("LocationsTable", PUT, DELETE),  # with its places' targeting items
                 # The one confirmation text, from the two-way number; the opt-out list mirrored.
                 SMS,
                 {"Effect": "Allow", "Action": ["sms-voice:PutOptedOutNumber", "sms-voice:DeleteOptedOutNumber"],
                  "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}"
                                          ":opt-out-list/*"}},
                 send_to("EventHandlersDeadLetterQueue"), RESIDENT_KEYS, USE_DATA_KEY,
             ]),
    Function("HandleInboundEmail", log_name="inbound-email", reserved_concurrency=quotas.EVENT_HANDLER_CONCURRENCY,
             statements=[
                 # The raw message SES stored, and the attachments kept with the reply.
                 {"Effect": "Allow", "Action": ["s3:GetObject"],
                  "Resource": {"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"}},
                 {"Effect": "Allow", "Action": ["s3:PutObject"],
                  "Resource": {"Fn::Sub": "${InboundMailBucket.Arn}/attachments/*"}},
                 # Whether the alert reached the sender (by contact), its plan (the organisation) and the alert.
                 table("DeliveriesTable", GET, QUERY, indexes=("by-contact",)),
                 table("AlertsTable", GET),
                 table("RepliesTable", PUT),
                 send_to("EventHandlersDeadLetterQueue"), RESIDENT_KEYS, USE_DATA_KEY,
             ]),
    Function("SmsReceipts", log_name="sms-receipts", reserved_concurrency=quotas.EVENT_HANDLER_CONCURRENCY,
             statements=RECEIPTS),
    # The dashboard's counters: the residents' stream in, the counters and their markers out (one transaction per
    # record: a conditional Put and ADD updates), the forces' areas to place residents, failures to their queue.
    Function("AggregateStats", log_name="aggregate-stats", reserved_concurrency=quotas.EVENT_HANDLER_CONCURRENCY,
             statements=[
                 table("StatsTable", PUT, UPDATE),
                 table("OrganisationsTable", SCAN),
                 table("AreasTable", QUERY),
                 send_to("StatsDeadLetterQueue"), USE_DATA_KEY,
             ]),
    Function("WatchSending", log_name="watch-sending", reserved_concurrency=1, statements=[
        table("OrganisationsTable", SCAN), table("AlertsTable", QUERY),
        send_to("TargetingQueue"), USE_DATA_KEY,  # reconciling plan jobs, on a queue encrypted with the data key
    ]),
    # Reads the due scheduled alerts and hands each a release job; the plan stage moves it (TargetAlert's role).
    Function("ReleaseScheduled", log_name="release-scheduled", reserved_concurrency=1, statements=[
        table("AlertsTable", GET, QUERY, indexes=("by-due",)), send_to("TargetingQueue"), USE_DATA_KEY,
    ]),
    Function("PurgeUnverified", log_name="purge-unverified", reserved_concurrency=1, statements=[
        table("SubscribersTable", SCAN, GET, DELETE, CHECK), table("ContactsTable", GET, DELETE, CHECK),
        table("LocationsTable", QUERY, DELETE), RESIDENT_KEYS, USE_DATA_KEY,
    ]),
]


def _role_policy(function: Function) -> dict[str, Any]:
    log_group = {"Fn::GetAtt": [f"{function.logical_id}LogGroup", "Arn"]}
    platform = [
        # Lambda writes the function's logs and X-Ray segments, and decrypts its environment, with its role.
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": log_group},
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": _arn("DataKey")},
    ]
    if function.logical_id in FED_BY:
        platform.append(consume(FED_BY[function.logical_id]))
    if function.logical_id in FED_BY_STREAM:
        platform.append(read_stream(FED_BY_STREAM[function.logical_id][0]))
    return {"PolicyName": f"{function.logical_id}LeastPrivilege",
            "PolicyDocument": {"Version": "2012-10-17",
                               "Statement": [*platform, *function.statements, AUDIT_LOG_IS_APPEND_ONLY]}}


def fragment(dead_letter_queues: tuple[str, ...] = (), names: dict[str, str] | None = None) -> dict[str, Any]:
    """The merge fragment: roles' policies, log groups, layer, concurrency and alarms for every function, and an alarm
    on the depth of each of `dead_letter_queues` (logical ids). `names` gives the `${Prefix}-...` name of each queue
    and topic that feeds a function (from infra/resources.yaml)."""
    names = names or {}
    resources: dict[str, Any] = {
        "DependencyLayer": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {"LayerName": {"Fn::Sub": "${Prefix}-dependencies"},
                           "Description": "Hexwatch's pinned runtime dependencies (layers/build.py, from the lock)",
                           "ContentUri": "./dependencies-layer.zip", "CompatibleRuntimes": ["python3.11"],
                           "RetentionPolicy": "Retain"},
        },
    }
    for function in FUNCTIONS:
        name = function.logical_id
        resources[function.role] = {"Properties": {"Policies": [_role_policy(function)]}}
        if function.logical_id in TEXTS_RESIDENTS:
            resources[function.role]["Metadata"] = {"checkov": {"skip": [{
                "id": "CKV_AWS_111", "comment": "sns:Publish to a phone number (SMS) has no resource to scope to; IAM "
                                                "checks it against *."}]}}
        resources[f"{name}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{Prefix}}-{function.log_name}"},
                           "RetentionInDays": {"Ref": "LogRetentionDays"},
                           "KmsKeyId": {"Fn::GetAtt": ["DataKey", "Arn"]}},
        }
        properties: dict[str, Any] = {
            "Layers": [{"Ref": "DependencyLayer"}],
            # The environment holds no secret (those are in Secrets Manager), but names resources: encrypt it anyway.
            "KmsKeyArn": {"Fn::GetAtt": ["DataKey", "Arn"]},
            "LoggingConfig": {"LogGroup": {"Ref": f"{name}LogGroup"}},
            "ReservedConcurrentExecutions": function.reserved_concurrency,
            "Timeout": quotas.timeout_of(name),
        }
        # The functions find every table, queue and secret by the stack's Prefix, and their event sources are the
        # stack's own queues and topics (Chalice writes the default prefix into both when it packages).
        variables: dict[str, Any] = {"HEXWATCH_PREFIX": {"Ref": "Prefix"}, **function.environment}
        if name in TEXTS_RESIDENTS:
            # Every SMS goes from the two-way number when there is one (`python -m infra.two_way_number`).
            variables["HEXWATCH_SMS_ORIGINATION_NUMBER"] = {"Ref": "TwoWayNumber"}
        if name == "HandleInboundSms":
            variables["HEXWATCH_OPT_OUT_LIST_NAME"] = {"Ref": "OptOutListName"}
        if name in PLACES_CALLS:
            variables["HEXWATCH_VOICE_ORIGINATION"] = {"Ref": "VoiceOriginationIdentity"}
        if name in ("HandleInboundEmail", "APIHandler"):
            variables["HEXWATCH_INBOUND_MAIL_BUCKET"] = {"Ref": "InboundMailBucket"}
        properties["Environment"] = {"Variables": variables}
        # Written as Chalice writes them (Fn::Sub), so that the merge replaces its string rather than adding a second
        # intrinsic beside it.
        if name in FED_BY:
            queue = f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{names[FED_BY[name]]}"
            source: dict[str, Any] = {"Queue": {"Fn::Sub": queue}}
            if function.sqs_maximum_concurrency is not None:
                source["ScalingConfig"] = {"MaximumConcurrency": max(2, function.sqs_maximum_concurrency)}
            properties["Events"] = {f"{name}SqsEventSource": {"Properties": source}}
            # An ARN in a string names no resource: say that the queue must exist before the event source mapping.
            resources[name] = {"DependsOn": [FED_BY[name]]}
        if name in FED_BY_TOPIC:
            topic = f"arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:{names[FED_BY_TOPIC[name]]}"
            properties["Events"] = {f"{name}SnsSubscription": {"Properties": {"Topic": {"Fn::Sub": topic}}}}
            resources[name] = {"DependsOn": [FED_BY_TOPIC[name]]}
        if name in FED_BY_STREAM:
            table_id, dead_letters = FED_BY_STREAM[name]
            properties["Events"] = {f"{name}DynamodbEventSource": {"Properties": {
                "Stream": {"Fn::GetAtt": [table_id, "StreamArn"]},
                "MaximumRetryAttempts": STREAM_MAX_RETRIES, "BisectBatchOnFunctionError": True,
                "DestinationConfig": {"OnFailure": {"Destination": _arn(dead_letters)}}}}}
        resources[name] = {**resources.get(name, {}), "Properties": properties}
        resources.update(_function_alarms(name))
        resources[name]["Metadata"] = {"checkov": {"skip": _checkov_skips(name)}}
    resources["AlertsStuckSendingAlarm"] = _alarm(
        "alerts-stuck-sending", "An alert has been sending for over 30 minutes (docs/operations.md, Alarms)",
        "Hexwatch", "AlertsStuckSending", [{"Name": "service", "Value": "hexwatch"}], statistic="Maximum")
    for queue in dead_letter_queues:
        resources[f"{queue}DepthAlarm"] = _alarm(
            f"{queue}-depth", f"A message reached {queue}: something failed every retry; read it, fix the cause, "
                              "then redrive (docs/operations.md, Redrive a dead-letter queue)",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}], statistic="Maximum")
    return {
        "Parameters": {
            "LogRetentionDays": {
                "Type": "Number", "Default": 30, "AllowedValues": [7, 14, 30, 60, 90, 180, 365],
                "Description": "How long the functions' logs are kept (no addresses in them, but resident ids)."},
            "TwoWayNumber": {
                "Type": "String", "Default": "", "AllowedPattern": r"^(\+[1-9][0-9]{6,14})?$",
                "Description": "The two-way UK long code alert SMS go from (E.164), set up by "
                               "`python -m infra.two_way_number`; empty: SMS go from the sender ID, and nobody can "
                               "reply or text STOP."},
            "VoiceOriginationIdentity": {
                "Type": "String", "Default": "", "AllowedPattern": r"^[A-Za-z0-9_:/+.-]{0,256}$",
                "Description": "The voice-enabled phone number (E.164), or its id, ARN or pool, that calls come from: "
                               "voice alerts and the codes read to landlines. Empty: no call can be placed "
                               "(docs/operations.md, Voice calls)."},
            "OptOutListName": {
                "Type": "String", "Default": "Default",
                "Description": "The End User Messaging SMS opt-out list of the two-way number, where STOP and START "
                               "are mirrored."},
        },
        "Resources": resources,
    }


def _checkov_skips(name: str) -> list[dict[str, str]]:
    """Checks that do not fit a function, each with its reason (checkov reads them from the resource's Metadata)."""
    skips = [{"id": "CKV_AWS_117", "comment": "No VPC: the function reaches only AWS APIs, over TLS and under IAM; a "
                                              "VPC would add NAT cost and cold-start time and protect nothing more."}]
    if name in FED_BY:
        skips.append({"id": "CKV_AWS_116", "comment": "Fed by SQS: a failed message returns to its queue and, after "
                                                      "maxReceiveCount, goes to the queue's own dead-letter queue."})
    elif name in ("APIHandler", "OfficerAuthorizer"):
        skips.append({"id": "CKV_AWS_116", "comment": "Invoked synchronously by API Gateway: the caller gets the "
                                                      "error; there is no event to keep."})
    elif name in ("PurgeUnverified", "WatchSending", "ReleaseScheduled"):
        skips.append({"id": "CKV_AWS_116", "comment": "A schedule: the next run does what a failed one did not; "
                                                      "there is no event to keep."})
    else:
        skips.append({"id": "CKV_AWS_116", "comment": "Invoked asynchronously: a failed event goes to "
                                                      "EventHandlersDeadLetterQueue through EventInvokeConfig's "
                                                      "on-failure destination (infra/receipts.patch.yaml)."})
    return skips


def _alarm(name: str, description: str, namespace: str, metric: str, dimensions: list[dict[str, Any]],
           statistic: str = "Sum") -> dict[str, Any]:
    """One alarm to the operators' topic: any occurrence in five minutes."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"${{Prefix}}-{name}"}, "AlarmDescription": description,
            "Namespace": namespace, "MetricName": metric, "Dimensions": dimensions,
            "Statistic": statistic, "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "OperatorAlarmsTopic"}],
        },
    }


def _function_alarms(name: str) -> dict[str, Any]:
    dimensions = [{"Name": "FunctionName", "Value": {"Ref": name}}]
    return {
        f"{name}ErrorsAlarm": _alarm(f"{name}-errors", f"{name} raised errors (docs/operations.md, Alarms)",
                                     "AWS/Lambda", "Errors", dimensions),
        f"{name}ThrottlesAlarm": _alarm(f"{name}-throttles", f"{name} was throttled at its concurrency cap "
                                                              "(docs/operations.md, Alarms)",
                                        "AWS/Lambda", "Throttles", dimensions),
    }
