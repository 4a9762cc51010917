"""Delivery feedback events in the shapes AWS sends them, for the unit, integration and e2e tests.

- SES event publishing (configuration set -> SNS): the SES Developer Guide's "Examples of event data that Amazon SES
  publishes to Amazon SNS" (Delivery, Bounce, Complaint, Reject, Rendering Failure, DeliveryDelay).
- Voice (Pinpoint SMS Voice v2 configuration set -> SNS): the AWS End User Messaging SMS "Example event data".
- SMS (SNS delivery-status logging -> CloudWatch Logs -> subscription filter -> Lambda): the SNS Developer Guide's
  "Viewing Amazon CloudWatch metrics and logs for SMS deliveries" records, wrapped as CloudWatch Logs delivers them to
  a Lambda subscription (`awslogs.data` = base64(gzip(JSON))).
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from chalicelib.domain.receipts import encode_tag_value

ACCOUNT = "123456789012"
REGION = "eu-west-2"


def ses_mail(message_id: str, to: str, alert_id: str | None = None, ledger_key: str | None = None,
             configuration_set: str = "hexwatch-deliveries") -> dict[str, Any]:
    tags: dict[str, list[str]] = {
        "ses:configuration-set": [configuration_set],
        "ses:source-ip": ["192.0.2.0"],
        "ses:from-domain": ["hexwatch.example"],
        "ses:caller-identity": ["hexwatch-deliver-email"],
        "ses:outgoing-ip": ["203.0.113.10"],
    }
    if alert_id:
        tags["alert_id"] = [alert_id]
    if ledger_key:
        tags["ledger_key"] = [encode_tag_value(ledger_key)]
    return {
        "timestamp": "2026-12-02T09:30:00.000Z",
        "source": "Community Alerts <alerts@hexwatch.example>",
        "sourceArn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/alerts@hexwatch.example",
        "sendingAccountId": ACCOUNT,
        "messageId": message_id,
        "destination": [to],
        "headersTruncated": False,
        "headers": [{"name": "From", "value": "Community Alerts <alerts@hexwatch.example>"},
                    {"name": "To", "value": to},
                    {"name": "Subject", "value": "Police alert"},
                    {"name": "X-Hexwatch-Alert", "value": alert_id or ""}],
        "commonHeaders": {"from": ["Community Alerts <alerts@hexwatch.example>"], "to": [to],
                          "messageId": message_id, "subject": "Police alert"},
        "tags": tags,
    }


def ses_delivery(message_id: str, to: str, alert_id: str | None = None,
                 ledger_key: str | None = None) -> dict[str, Any]:
    return {
        "eventType": "Delivery",
        "mail": ses_mail(message_id, to, alert_id, ledger_key),
        "delivery": {"timestamp": "2026-12-02T09:30:01.123Z", "processingTimeMillis": 1123, "recipients": [to],
                     "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "a8-70.smtp-out.amazonses.com",
                     "remoteMtaIp": "198.51.100.7"},
    }


def ses_bounce(message_id: str, to: str, alert_id: str | None = None, ledger_key: str | None = None,
               bounce_type: str = "Permanent", sub_type: str = "General") -> dict[str, Any]:
    return {
        "eventType": "Bounce",
        "bounce": {"feedbackId": "0102017a1b2c3d4e-feedback-000000", "bounceType": bounce_type,
                   "bounceSubType": sub_type,
                   "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1",
                                          "diagnosticCode": f"smtp; 550 5.1.1 <{to}>: Recipient address rejected"}],
                   "timestamp": "2026-12-02T09:30:02.000Z", "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com"},
        "mail": ses_mail(message_id, to, alert_id, ledger_key),
    }


def ses_complaint(message_id: str, to: str, alert_id: str | None = None,
                  ledger_key: str | None = None) -> dict[str, Any]:
    return {
        "eventType": "Complaint",
        "complaint": {"feedbackId": "0102017a-complaint-000000", "complaintSubType": None,
                      "complainedRecipients": [{"emailAddress": to}], "timestamp": "2026-12-02T10:00:00.000Z",
                      "userAgent": "Mail Provider Feedback Loop", "complaintFeedbackType": "abuse",
                      "arrivalDate": "2026-12-02T09:59:00.000Z"},
        "mail": ses_mail(message_id, to, alert_id, ledger_key),
    }


def ses_reject(message_id: str, to: str, alert_id: str | None = None,
               ledger_key: str | None = None) -> dict[str, Any]:
    return {"eventType": "Reject", "reject": {"reason": "Bad content"},
            "mail": ses_mail(message_id, to, alert_id, ledger_key)}


def ses_rendering_failure(message_id: str, to: str) -> dict[str, Any]:
    return {"eventType": "Rendering Failure",
            "failure": {"errorMessage": "Attribute 'name' is not present in the rendering data.",
                        "templateName": "alert"},
            "mail": ses_mail(message_id, to)}


def ses_delivery_delay(message_id: str, to: str) -> dict[str, Any]:
    return {"eventType": "DeliveryDelay",
            "deliveryDelay": {"timestamp": "2026-12-02T09:40:00.000Z", "delayType": "TransientCommunicationFailure",
                              "expirationTime": "2026-12-02T23:30:00.000Z",
                              "delayedRecipients": [{"emailAddress": to, "status": "4.4.1",
                                                     "diagnosticCode": "smtp; 421 4.4.1 Unable to connect"}]},
            "mail": ses_mail(message_id, to)}


def ses_notification_bounce(to: str, alert_id: str) -> dict[str, Any]:
    """The older identity notification (no configuration set): `notificationType`, the alert in a header only."""
    mail = ses_mail("0102017a-old-notification", to, alert_id)
    mail["tags"] = {}
    return {"notificationType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                       "bouncedRecipients": [{"emailAddress": to}]},
            "mail": mail}


def sns_envelope(topic_arn: str, message: dict[str, Any], message_id: str = "sns-1") -> dict[str, Any]:
    return {"Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn, "Message": json.dumps(message),
            "Timestamp": "2026-12-02T09:30:01.500Z", "SignatureVersion": "1", "Signature": "x",
            "SigningCertURL": "https://sns.eu-west-2.amazonaws.com/cert.pem", "UnsubscribeURL": "https://x"}


def voice_event(message_id: str, event_type: str = "VOICE_COMPLETED", key: str | None = None,
                status: str = "COMPLETED", to: str = "+447700900123") -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": event_type,
        "eventVersion": "1.0",
        "eventTimestamp": 1796204853766,
        "isFinal": event_type not in ("VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED"),
        "originationPhoneNumber": "+447700900000",
        "destinationPhoneNumber": to,
        "isoCountryCode": "GB",
        "messageId": message_id,
        "messageRequestTimestamp": 1796204833766,
        "messageStatus": status,
        "messageStatusDescription": "Call has been completed",
        "totalDurationSeconds": 24,
        "totalMessagePrice": 0.013,
        "totalCarrierFee": 0.0,
    }
    if key:
        event["context"] = {"key": key}
    return event


def sms_delivery_record(message_id: str, success: bool = True, to: str = "+447700900123") -> dict[str, Any]:
    delivery: dict[str, Any] = {"mnc": 10, "mcc": 234, "destination": to, "priceInUSD": 0.0463,
                                "smsType": "Transactional", "dwellTimeMs": 599, "dwellTimeMsUntilDeviceAck": 1344}
    if success:
        delivery["phoneCarrier"] = "O2"
        delivery["providerResponse"] = "Message has been accepted by phone carrier"
    else:
        delivery["providerResponse"] = "Unknown error attempting to reach phone"
    return {"notification": {"messageId": message_id, "timestamp": "2026-12-02 09:30:34.558"},
            "delivery": delivery, "status": "SUCCESS" if success else "FAILURE"}


def logs_event(records: list[dict[str, Any]], failure_group: bool = False,
               extra_messages: list[str] | None = None) -> dict[str, Any]:
    """What a CloudWatch Logs subscription filter invokes a Lambda function with."""
    group = f"sns/{REGION}/{ACCOUNT}/DirectPublishToPhoneNumber" + ("/Failure" if failure_group else "")
    messages = [json.dumps(record) for record in records] + list(extra_messages or [])
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": group,
        "logStream": "a0d4f5e6-1234-5678-9abc-def012345678",
        "subscriptionFilters": ["hexwatch-sms-receipts"],
        "logEvents": [{"id": f"3720{index:052d}", "timestamp": 1796204853766 + index, "message": message}
                      for index, message in enumerate(messages)],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}


def logs_control_event() -> dict[str, Any]:
    message = "CWL CONTROL MESSAGE: Checking health of destination"
    payload = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1796204853766, "message": message}]}
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}
