import io
import json
import logging

from aws_lambda_powertools import Logger

from chalicelib.observability import RedactingFormatter, redact


def test_emails_and_phone_numbers_are_scrubbed_but_ids_and_dates_are_not() -> None:
    line = redact("sent to jo.bloggs+alerts@example.co.uk and +44 7700 900123 / 07700900123 on 2026-11-21 id 01JABC123")
    assert "example" not in line and "7700" not in line
    assert "2026-11-21" in line and "01JABC123" in line


def test_a_powertools_log_line_with_contacts_in_message_and_extras_is_clean() -> None:
    stream = io.StringIO()
    logger = Logger(service="test", logger_formatter=RedactingFormatter(), logger_handler=logging.StreamHandler(stream))
    logger.info("signup from jo@example.org", extra={"phone": "+447700900123", "nested": {"to": ["a@b.example"]}})
    record = json.loads(stream.getvalue())
    text = json.dumps(record)
    assert "@example" not in text and "7700900123" not in text and "a@b.example" not in text
    assert record["message"] == "signup from [email]"
