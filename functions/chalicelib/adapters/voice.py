"""Voice calls that read an alert aloud: Pinpoint SMS Voice v2 in AWS, an S3 outbox on the local emulator.

Both answer one `SendResult` per call, so the delivery service does not know which one it has.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ParamValidationError

from ..domain.delivery import SendResult, VoiceCall
from ..domain.messages import code_call_text
from .provider_errors import Provider, send_each

if TYPE_CHECKING:
    from mypy_boto3_pinpoint_sms_voice_v2 import PinpointSMSVoiceV2Client
    from mypy_boto3_s3 import S3Client
else:
    PinpointSMSVoiceV2Client = S3Client = Any

# SendVoiceMessage's MessageBody is 1 to 6000 characters (botocore model pinpoint-sms-voice-v2 2022-03-31).
MAX_MESSAGE_BODY = 6000

# The Polly voice for each language residents can choose, from the model's VoiceId enum. The API has no engine
# parameter: AWS picks the engine a voice supports (Amy has a neural voice; Gwyneth and Ewa are standard only).
# Polish has EWA, MAJA, JACEK and JAN in the enum (Polly's neural Polish voice, Ola, is not offered here).
VOICES = {
    "en": "AMY",  # British English
    "cy": "GWYNETH",  # Welsh (GERAINT is Welsh-accented English, not Welsh)
    "pl": "EWA",
}
# Any other language is read by the English voice: the enum has voices for other languages, but the alert's text is
# in a language the app offers, and a call in the wrong accent still carries the warning, where a refused call would
# carry nothing.
DEFAULT_VOICE = VOICES["en"]


def voice_for(language: str) -> str:
    """The voice for a language code; regional forms ("cy-GB", "en_GB") use their language's voice."""
    base = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return VOICES.get(base, DEFAULT_VOICE)


def call_script(text: str) -> str:
    """The text as the call reads it: cut to the API's limit (alerts are far shorter; this is defensive)."""
    return text[:MAX_MESSAGE_BODY]


class PinpointVoiceSender:
    """Places each call with `SendVoiceMessage`, which reads the text with an Amazon Polly voice.

    `origination_identity` is the phone number (or its id/ARN, or a pool) the call comes from. With `context` each
    call carries the resident's ledger key, which Pinpoint passes on to the configuration set's event destinations;
    `configuration_set` (bootstrap passes `<prefix>-voice`) is the set whose SNS destination publishes the call's
    events to `<prefix>-voice-events` (workers/receipts.py).
    """

    def __init__(self, client: PinpointSMSVoiceV2Client, origination_identity: str,
                 configuration_set: str | None = None, context: bool = True) -> None:
        self._client = client
        self._origination_identity = origination_identity
        self._configuration_set = configuration_set
        self._context = context

    def request(self, call: VoiceCall) -> dict[str, Any]:
        request: dict[str, Any] = {
            "DestinationPhoneNumber": call.to,
            "OriginationIdentity": self._origination_identity,
            "MessageBody": call_script(call.text),
            "MessageBodyTextType": "TEXT",
            "VoiceId": voice_for(call.language),
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        if self._context:
            request["Context"] = {"key": call.key}
        return request

    def send(self, calls: Sequence[VoiceCall]) -> list[SendResult]:
        def place(call: VoiceCall) -> str:
            if not call.text.strip():
                # The model's MessageBody pattern refuses blank text; refused here it is permanent without a request.
                raise ParamValidationError(report="MessageBody is blank")
            return str(self._client.send_voice_message(**self.request(call))["MessageId"])

        return send_each(calls, place, Provider.SMS_VOICE)

    def call_code(self, to: str, ssml: str, language: str) -> str:
        """One call that reads a sign-up or sign-in code (SSML); a provider error is raised, so the transactional
        worker fails the message and SQS brings it back. Its events are not wanted: no context, no ledger key."""
        request: dict[str, Any] = {"DestinationPhoneNumber": to, "OriginationIdentity": self._origination_identity,
                                   "MessageBody": ssml, "MessageBodyTextType": "SSML", "VoiceId": voice_for(language)}
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return str(self._client.send_voice_message(**request)["MessageId"])


class LocalVoiceOutbox:
    """Simulates voice calls for the local emulator: no call is placed, nothing is spoken.

    The emulator (moto) has no Pinpoint SMS Voice v2, so each call the app would have placed is written as one JSON
    object to `s3://<bucket>/voice/<id>.json`, where the local outbox (infra/local/outbox.py) shows it as a simulated
    voice call. Each call answers ACCEPTED with that id.
    """

    NOTE = "Simulated locally: no call was placed (the emulator has no Pinpoint SMS Voice v2)."

    def __init__(self, s3_client: S3Client, bucket: str, sender: str = "+440000000000",
                 clock: Callable[[], float] = time.time) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._sender = sender
        self._clock = clock

    def _sent_at(self) -> str:
        moment = datetime.fromtimestamp(self._clock(), UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def send(self, calls: Sequence[VoiceCall]) -> list[SendResult]:
        def write(call: VoiceCall) -> str:
            call_id = str(uuid.uuid4())  # also the object key: a uuid is safe in any S3 key
            document = {
                "id": call_id,
                "to": call.to,
                "from": self._sender,
                "text": call_script(call.text),
                "language": call.language,
                "sent_at": self._sent_at(),
                "simulated": True,
                "note": self.NOTE,
            }
            self._s3.put_object(Bucket=self._bucket, Key=f"voice/{call_id}.json", ContentType="application/json",
                                Body=json.dumps(document).encode("utf-8"))
            return call_id

        return send_each(calls, write, Provider.S3)

    def call_code(self, to: str, ssml: str, language: str) -> str:
        """A code call, written as the alerts' calls are (the outbox shows its words and its SSML)."""
        call_id = str(uuid.uuid4())
        document = {"id": call_id, "to": to, "from": self._sender, "text": code_call_text(ssml), "ssml": ssml,
                    "language": language, "sent_at": self._sent_at(), "simulated": True, "note": self.NOTE}
        self._s3.put_object(Bucket=self._bucket, Key=f"voice/{call_id}.json", ContentType="application/json",
                            Body=json.dumps(document).encode("utf-8"))
        return call_id
