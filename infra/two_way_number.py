"""Make a phone number the two-way number alert SMS come from: a deploy step run once per number.

Residents can answer a text, and text STOP or START, only when it came from a number (an alphanumeric sender ID cannot
be answered). Request a UK long code in End User Messaging SMS (it must be registered there first), then:

    python -m infra.two_way_number --phone-number-id phone-0123... \\
        --topic-arn "$(aws cloudformation describe-stack-resource ... InboundSmsTopic)" [--opt-out-list Default]

This sets on the number:
- `TwoWayEnabled` with `TwoWayChannelArn` = the stack's `<prefix>-inbound-sms` topic, where the handler reads each text;
- `SelfManagedOptOutsEnabled`: AWS neither answers STOP nor records it, because services/inbound_sms.py does both
  (one confirmation, ours) and mirrors each change to the number's opt-out list (`--opt-out-list`).

It prints the number in E.164: deploy the stack with `TwoWayNumber=<that number>` (and `OptOutListName` if not
`Default`), so that every SMS goes from it and says "Reply STOP to opt out." where space allows. No CloudFormation
resource can take over a number requested by hand, so this is a step of its own, like infra/sms_delivery_status.py.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

import boto3

TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")
PHONE_NUMBER_ID = re.compile(r"^(phone-[0-9a-zA-Z]{1,64}|arn:aws[a-z-]*:sms-voice:\S+)$")


def configure(client: Any, phone_number_id: str, topic_arn: str, opt_out_list: str = "Default") -> str:
    """Sets the number's two-way channel and self-managed opt-outs; answers the number (E.164)."""
    if not PHONE_NUMBER_ID.match(phone_number_id):
        raise ValueError("--phone-number-id must be a phone number id (phone-...) or its ARN")
    if not TOPIC_ARN.match(topic_arn):
        raise ValueError("--topic-arn must be an SNS topic ARN")
    answer = client.update_phone_number(
        PhoneNumberId=phone_number_id, TwoWayEnabled=True, TwoWayChannelArn=topic_arn,
        SelfManagedOptOutsEnabled=True, OptOutListName=opt_out_list)
    if not (answer.get("TwoWayEnabled") and answer.get("SelfManagedOptOutsEnabled")):
        raise RuntimeError("the number did not take two-way SMS with self-managed opt-outs")
    return str(answer["PhoneNumber"])


def main(argv: list[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phone-number-id", required=True)
    parser.add_argument("--topic-arn", required=True, help="the stack's InboundSmsTopic ARN")
    parser.add_argument("--opt-out-list", default="Default")
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    sms_voice = client or boto3.client("pinpoint-sms-voice-v2", region_name=args.region)
    try:
        number = configure(sms_voice, args.phone_number_id, args.topic_arn, args.opt_out_list)
    except ValueError as error:
        parser.error(str(error))
    print(f"TwoWayNumber = {number}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
