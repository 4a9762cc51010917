"""Turn on SNS's SMS delivery-status logging for the account: a deploy step run once per account and region.

SNS writes a delivery-status record for each SMS to CloudWatch Logs (`sns/<region>/<account>/DirectPublishToPhoneNumber`
and `.../Failure`) only when the account's SMS attributes name a role it may assume to write them. No CloudFormation
resource sets those attributes, so after the stack is deployed:

    python -m infra.sms_delivery_status --role-arn "$(aws cloudformation describe-stack-resource ... \\
        SmsDeliveryStatusRole)" --sampling-rate 100 [--region eu-west-2]

`--sampling-rate` is the percentage of successful SMS whose record is written (failures are always written); 100 gives
every alert SMS its `delivered` receipt. The stack's subscription filters then hand each record to the `sms_receipts`
function (infra/receipts.patch.yaml). The attributes belong to the whole account and region: one stage per account.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

import boto3

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def delivery_status_attributes(role_arn: str, sampling_rate: int) -> dict[str, str]:
    """The SetSMSAttributes attributes: success and failure records through the same role."""
    if not ROLE_ARN.match(role_arn):
        raise ValueError("--role-arn must be an IAM role ARN")
    if not 0 <= sampling_rate <= 100:
        raise ValueError("--sampling-rate must be a percentage, 0 to 100")
    return {
        "DeliveryStatusIAMRole": role_arn,
        "DeliveryStatusSuccessSamplingRate": str(sampling_rate),
    }


def enable(sns: Any, role_arn: str, sampling_rate: int = 100) -> dict[str, str]:
    """Sets the attributes and answers them as SNS reads them back (GetSMSAttributes)."""
    attributes = delivery_status_attributes(role_arn, sampling_rate)
    sns.set_sms_attributes(attributes=attributes)
    current = sns.get_sms_attributes(attributes=sorted(attributes))["attributes"]
    return {name: str(current.get(name, "")) for name in sorted(attributes)}


def main(argv: list[str] | None = None, sns: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role-arn", required=True, help="the stack's SmsDeliveryStatusRole ARN")
    parser.add_argument("--sampling-rate", type=int, default=100,
                        help="percentage of successful SMS whose delivery record is written (default 100)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--endpoint-url", default=None, help="an emulator's URL (testing only)")
    args = parser.parse_args(argv)
    try:
        attributes = delivery_status_attributes(args.role_arn, args.sampling_rate)
    except ValueError as error:
        parser.error(str(error))
    client = sns or boto3.client("sns", region_name=args.region, endpoint_url=args.endpoint_url)
    current = enable(client, attributes["DeliveryStatusIAMRole"], args.sampling_rate)
    for name, value in current.items():
        print(f"{name} = {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
