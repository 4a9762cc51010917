"""The provider's SMS opt-out list, kept in step with what residents text us.

The two-way number has self-managed opt-outs (`infra/two_way_number.py`): AWS neither answers STOP nor records it, so
services/inbound_sms.py does both, and mirrors each change here so that every sender on the account respects it.

- `SmsVoiceOptOutList` (production): End User Messaging SMS (`pinpoint-sms-voice-v2`) `PutOptedOutNumber` and
  `DeleteOptedOutNumber` on the number's opt-out list. The emulator has no such service, so its requests are tested
  with botocore's Stubber.
- `LocalOptOutList` (the local stack): one object per opted-out number under `opt-out-list/` in the local outbox
  bucket, so that `make run` shows what would be on the provider's list. It sends nothing anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, UpdateError

from ..domain.sms_replies import SMS_STARTED, SMS_STOPPED
from .models import SuppressionModel

LOCAL_PREFIX = "opt-out-list/"


class SmsVoiceOptOutList:
    def __init__(self, client: Any, list_name: str = "Default") -> None:
        self._client = client
        self._list_name = list_name

    def opt_out(self, number: str) -> None:
        self._client.put_opted_out_number(OptOutListName=self._list_name, OptedOutNumber=number)

    def opt_in(self, number: str) -> None:
        try:
            self._client.delete_opted_out_number(OptOutListName=self._list_name, OptedOutNumber=number)
        except ClientError as error:
            # Not on the list (never mirrored, or removed by hand): opted in already, which is what was asked.
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise


class LocalOptOutList:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def opt_out(self, number: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=f"{LOCAL_PREFIX}{number}",
                            Body=b"Opted out by text (local stack: the provider's list is not called).",
                            ContentType="text/plain")

    def opt_in(self, number: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=f"{LOCAL_PREFIX}{number}")

    def numbers(self) -> list[str]:
        listing = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=LOCAL_PREFIX)
        return sorted(item["Key"][len(LOCAL_PREFIX):] for item in listing.get("Contents", []))


# --- our own record: the suppression item of the number's contact hash ---------------------------------------------

@dataclass(frozen=True)
class SmsOptState:
    reason: str | None  # the suppression reason, if any (domain/sms_replies.py: SMS_STOPPED, SMS_STARTED...)
    opted_in_at: float | None  # when a START last turned texts back on


class SmsOptRecords:
    """STOP and START on the suppressions table. Each command's change is one conditional update, and only the
    delivery of a command that made the change (or `claim_command` won) sends its answer: a command delivered twice
    is answered once, and one that died after its change and before its answer is not answered twice."""

    def state(self, contact_hash: str) -> SmsOptState:
        try:
            item = SuppressionModel.get(contact_hash, consistent_read=True)
        except DoesNotExist:
            return SmsOptState(None, None)
        return SmsOptState(item.reason, item.sms_opted_in_at)

    def stop(self, contact_hash: str, at: str, command_id: str) -> bool:
        """Suppresses SMS to the number; True when this command did it. A number stopped already, or with a
        stronger suppression (bounced, opted out of everything, erased), is left as it is."""
        return self._change(contact_hash, [
            SuppressionModel.reason.set(SMS_STOPPED), SuppressionModel.at.set(at),
            SuppressionModel.last_command.set(command_id)],
            SuppressionModel.reason.does_not_exist() | (SuppressionModel.reason == SMS_STARTED))

    def start(self, contact_hash: str, at: str, now: float, command_id: str, lifts: tuple[str, ...]) -> bool:
        """Lifts a suppression whose reason is one of `lifts`, remembering when; True when this command did it."""
        return self._change(contact_hash, [
            SuppressionModel.reason.set(SMS_STARTED), SuppressionModel.at.set(at),
            SuppressionModel.sms_opted_in_at.set(now), SuppressionModel.last_command.set(command_id)],
            SuppressionModel.reason.is_in(*lifts))

    def claim_command(self, contact_hash: str, command_id: str) -> bool:
        """True for the first delivery of a command that changes nothing but is answered (a START too soon)."""
        return self._change(contact_hash, [SuppressionModel.last_command.set(command_id)],
                            SuppressionModel.reason.exists() & (SuppressionModel.last_command.does_not_exist()
                                                                | (SuppressionModel.last_command != command_id)))

    @staticmethod
    def _change(contact_hash: str, actions: list[Any], condition: Any) -> bool:
        try:
            SuppressionModel(contact_hash).update(actions=actions, condition=condition)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
