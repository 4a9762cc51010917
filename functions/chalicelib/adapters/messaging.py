"""Sending one-to-one messages: email through SESv2 (raw MIME), SMS through SNS, queueing through SQS.

Each adapter takes an injected boto3 client, so tests hand in a client pointed at the emulator or a Stubber.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING, Any

from ..domain.messages import RenderedEmail, RenderedSms

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
        return message

    def send(self, to: str, email: RenderedEmail) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [to]},
            "Content": {"Raw": {"Data": self.build(to, email).as_bytes()}},
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return str(self._client.send_email(**request)["MessageId"])


class SnsSmsSender:
    def __init__(self, client: SNSClient, sender_id: str | None = None) -> None:
        self._client = client
        self._sender_id = sender_id

    def send(self, to: str, sms: RenderedSms) -> str:
        attributes: dict[str, Any] = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sender_id}
        return str(self._client.publish(PhoneNumber=to, Message=sms.text, MessageAttributes=attributes)["MessageId"])


class SnsPushRegistry:
    """Turns an app's device token into an SNS platform endpoint, when the platform application is configured."""

    def __init__(self, client: SNSClient, platform_applications: dict[str, str]) -> None:
        self._client = client
        self._platform_applications = platform_applications

    def register(self, platform: str, token: str, resident_id: str) -> str | None:
        application = self._platform_applications.get(platform)
        if not application:
            return None
        response = self._client.create_platform_endpoint(PlatformApplicationArn=application, Token=token,
                                                         CustomUserData=resident_id)
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
