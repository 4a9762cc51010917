"""Server-side state behind resident links and sessions: which links have been used, and which sessions are open."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from .models import RedeemedLinkModel, ResidentSessionModel


def _condition_failed(error: PutError) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class RedeemedLinks:
    def redeem(self, link_id: str, expires_at: int) -> bool:
        """Records the link as used; False if it already was. One conditional put, so two clicks at once cannot both
        win."""
        try:
            RedeemedLinkModel(link_id=link_id, expires_at=expires_at).save(
                condition=RedeemedLinkModel.link_id.does_not_exist())
        except PutError as error:
            if _condition_failed(error):
                return False
            raise
        return True


class SessionStore:
    def open(self, resident_id: str, session_id: str, created_at: str, expires_at: int) -> None:
        ResidentSessionModel(resident_id=resident_id, session_id=session_id, created_at=created_at,
                             expires_at=expires_at).save()

    def is_open(self, resident_id: str, session_id: str) -> bool:
        try:
            ResidentSessionModel.get(resident_id, session_id, consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def close(self, resident_id: str, session_id: str) -> None:
        ResidentSessionModel(resident_id=resident_id, session_id=session_id).delete()

    def close_all(self, resident_id: str) -> int:
        """Ends every session of the resident (erasure); returns how many were open."""
        closed = 0
        with ResidentSessionModel.batch_write() as batch:
            for item in ResidentSessionModel.query(resident_id, consistent_read=True,
                                                   attributes_to_get=["resident_id", "session_id"]):
                batch.delete(item)
                closed += 1
        return closed
