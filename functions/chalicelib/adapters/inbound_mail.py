"""Emailed replies in S3 (InboundMailBucket): the raw message SES wrote, and the attachments kept with a reply.

The raw message is read only after its size is known (HeadObject): one over the limit is never downloaded.
"""

from __future__ import annotations

from typing import Any

from ..domain.email_replies import Attachment


class MailStore:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def read(self, key: str, max_bytes: int) -> bytes | None:
        """The raw message, or None when it is larger than `max_bytes`."""
        if int(self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"]) > max_bytes:
            return None
        body = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{max_bytes - 1}")["Body"]
        return bytes(body.read())

    def keep(self, key: str, attachment: Attachment) -> None:
        # Served to officers only as a download, never inline: the type is the one the message claimed.
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=attachment.data, ContentType=attachment.content_type,
                            ContentDisposition="attachment")

    def download_link(self, key: str, filename: str, seconds: int) -> str:
        """A presigned GET for one kept attachment, saved under its own name rather than opened in the browser."""
        safe = "".join(ch for ch in filename if ch.isalnum() or ch in "._- ")[:100] or "attachment"
        return str(self._s3.generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": f'attachment; filename="{safe}"'}))
