"""Push notifications through SNS platform endpoints (FCM for Android, APNs for iOS), one `Publish` per device.

Each message is published with `MessageStructure="json"`: SNS picks the payload for the endpoint's platform (GCM is
SNS's key for FCM) and falls back to "default". A disabled or deleted endpoint answers PERMANENT with its code
(EndpointDisabled, NotFound: adapters/provider_errors.py's SNS push table), so the delivery service can forget the
device.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..domain.delivery import PushMessage, SendResult
from .provider_errors import Provider, send_each

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
else:
    SNSClient = Any


def push_payload(message: PushMessage) -> str:
    """The `Message` of a `MessageStructure="json"` publish: a JSON object of per-platform JSON strings."""
    alert = {"title": message.title, "body": message.body}
    apns = json.dumps({**message.data, "aps": {"alert": alert}})  # data cannot replace "aps"
    return json.dumps({
        "default": message.body,
        "GCM": json.dumps({"notification": alert, "data": dict(message.data)}),
        "APNS": apns,
        "APNS_SANDBOX": apns,
    })


class SnsPushSender:
    def __init__(self, client: SNSClient) -> None:
        self._client = client

    def send(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        def publish(message: PushMessage) -> str:
            response = self._client.publish(TargetArn=message.endpoint_arn, MessageStructure="json",
                                            Message=push_payload(message))
            return str(response["MessageId"])

        return send_each(messages, publish, Provider.SNS_PUSH)
