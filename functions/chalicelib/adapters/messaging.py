"""Sending messages: email through SESv2 `SendEmail` (raw MIME), SMS through SNS, queueing through SQS.

There is one sender per provider operation, used by every caller: `SesEmailSender` makes every `SendEmail` (the
transactional messages, and each message of adapters/bulk_email.py's `LocalEmailSender`), `SnsSmsSender` every SMS
`Publish` (the transactional codes and the alerts). Each adapter takes an injected boto3 client, so tests hand in a
client pointed at the emulator or a Stubber.

This module is loaded by every function, the API's included, so it imports nothing of the delivery side.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..domain.delivery import SendResult, SmsMessage
from ..domain.messages import RenderedEmail
from .provider_errors import Provider, send_each

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
else:
    SESV2Client = SNSClient = SQSClient = Any


class SesEmailSender:
    """Sends a rendered email as raw MIME, which keeps every header (List-Unsubscribe included) in AWS and moto.

    With `configuration_set` (bootstrap passes `<prefix>-deliveries`) SES publishes the message's bounces and
    complaints to the SES events topic, so that an address that bounces is suppressed.
    """

    def __init__(self, client: SESV2Client, sender: str, sender_name: str = "Community Alerts",
                 configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._sender_name = sender_name
        self._configuration_set = configuration_set

    def build(self, to: str, email: RenderedEmail) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = email.subject
        message["From"] = formataddr((self._sender_name, self._sender))
        message["To"] = to
        message["Message-ID"] = make_msgid(domain=self._sender.partition("@")[2] or None)
        for name, value in email.headers.items():
            message[name] = value
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        for filename, content_type, data in email.attachments:
            maintype, _, subtype = content_type.partition(";")[0].partition("/")
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        return message

    def send(self, to: str, email: RenderedEmail, tags: Sequence[dict[str, str]] = ()) -> str:
        """Sends one message and answers SES's message id; a provider error is raised, for the caller to classify.

        `tags` are SES message tags ({"Name": ..., "Value": ...}): an alert's carry its ledger key, which leads the
        message's SES events back to its ledger entry.
        """
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [to]},
            "Content": {"Raw": {"Data": self.build(to, email).as_bytes()}},
        }
        if tags:
            request["EmailTags"] = list(tags)
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return str(self._client.send_email(**request)["MessageId"])


class SnsSmsSender:
    """Publishes SMS to phone numbers: one `Publish` each (SNS has no batch call for SMS to numbers).

    `publish` sends one and raises what SNS raised (the transactional codes, whose SQS message is retried whole);
    `send` sends an alert's batch and answers a `SendResult` each, accepted with SNS's message id (the SMS's provider
    id, which the delivery-status logs name) or sorted by adapters/provider_errors.py, with a short code and never
    the number. With `origination_number` every SMS goes from the two-way number (`AWS.MM.SMS.OriginationNumber`)
    instead of the sender ID. `Publish` takes no configuration set: delivery receipts are on for the account
    (infra/sms_delivery_status.py).

    `min_interval_s` spaces successive publishes (1 / the account's SMS rate, e.g. 0.05 for 20 messages a second), so
    one sender never exceeds the rate; the interval holds across calls on the same instance. It cannot pace senders in
    other Lambda invocations: the worker's concurrency bounds that. `sleep` and `clock` are injectable so tests pace
    with a fake clock.
    """

    def __init__(
        self,
        client: SNSClient,
        sender_id: str | None = None,
        sms_type: str = "Transactional",
        min_interval_s: float = 0.0,
        origination_number: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._sender_id = sender_id
        self._origination_number = origination_number
        self._sms_type = sms_type
        self._min_interval_s = max(0.0, min_interval_s)
        self._sleep = sleep
        self._clock = clock
        self._last_publish: float | None = None

    def _attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": self._sms_type}}
        if self._origination_number:
            # The two-way long code: replies and STOP come back to it (an alphanumeric sender ID cannot be answered).
            attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String",
                                                          "StringValue": self._origination_number}
        elif self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sender_id}
        return attributes

    def _pace(self) -> None:
        if self._min_interval_s and self._last_publish is not None:
            wait = self._last_publish + self._min_interval_s - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_publish = self._clock()

    def publish(self, to: str, text: str) -> str:
        """One SMS; answers SNS's message id, or raises."""
        self._pace()
        response = self._client.publish(PhoneNumber=to, Message=text, MessageAttributes=self._attributes())
        return str(response["MessageId"])

    def send(self, messages: Sequence[SmsMessage]) -> list[SendResult]:
        """An alert's SMS, one result each in order; once SNS throttles, the rest are left for the retry."""
        return send_each(messages, lambda message: self.publish(message.to, message.text), Provider.SNS_SMS)


EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:aws[a-z-]*:sns:\S+) already exists with the same Token")


class SnsPushRegistry:
    """Turns an app's device token into an SNS platform endpoint, when the platform application is configured."""

    def __init__(self, client: SNSClient, platform_applications: dict[str, str]) -> None:
        self._client = client
        self._platform_applications = platform_applications

    def register(self, platform: str, token: str, resident_id: str) -> str | None:
        application = self._platform_applications.get(platform)
        if not application:
            return None
        try:
            response = self._client.create_platform_endpoint(PlatformApplicationArn=application, Token=token,
                                                             CustomUserData=resident_id)
        except ClientError as error:
            # The device already has an endpoint, made for another resident (a shared or handed-on phone) or with
            # other attributes: SNS names it in the message. The phone now belongs to this resident.
            existing = EXISTING_ENDPOINT.search(str(error.response.get("Error", {}).get("Message", "")))
            if error.response.get("Error", {}).get("Code") != "InvalidParameter" or existing is None:
                raise
            endpoint_arn = existing.group(1)
            self._client.set_endpoint_attributes(EndpointArn=endpoint_arn, Attributes={
                "CustomUserData": resident_id, "Enabled": "true"})
            return endpoint_arn
        return str(response["EndpointArn"])

    def remove(self, endpoint_arn: str) -> None:
        self._client.delete_endpoint(EndpointArn=endpoint_arn)


MAX_DELAY_SECONDS = 900  # SQS's longest delay


class SqsJobQueue:
    def __init__(self, client: SQSClient, queue_name: str) -> None:
        self._client = client
        self._queue_name = queue_name
        self._queue_url: str | None = None

    def _url(self) -> str:
        if self._queue_url is None:
            self._queue_url = self._client.get_queue_url(QueueName=self._queue_name)["QueueUrl"]
        return self._queue_url

    def put(self, job: dict[str, Any], delay_seconds: int = 0) -> None:
        request: dict[str, Any] = {"QueueUrl": self._url(), "MessageBody": json.dumps(job, sort_keys=True)}
        if delay_seconds:
            request["DelaySeconds"] = max(0, min(MAX_DELAY_SECONDS, int(delay_seconds)))
        self._client.send_message(**request)

    def put_many(self, jobs: list[dict[str, Any]]) -> None:
        """Ten messages per call (SQS's limit); any entry SQS refuses is raised, never dropped."""
        for start in range(0, len(jobs), 10):
            entries = [{"Id": str(i), "MessageBody": json.dumps(job, sort_keys=True)}
                       for i, job in enumerate(jobs[start:start + 10])]
            pending = entries
            for _ in range(5):
                response = self._client.send_message_batch(QueueUrl=self._url(), Entries=pending)  # type: ignore[arg-type]
                failed = {f["Id"] for f in response.get("Failed", [])}
                pending = [e for e in pending if e["Id"] in failed]
                if not pending:
                    break
            if pending:
                raise RuntimeError(f"SQS refused {len(pending)} messages")
