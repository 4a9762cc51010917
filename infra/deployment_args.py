"""The arguments every operator tool that works on a deployment with AWS credentials takes: its prefix and region."""

from __future__ import annotations

import argparse
import os

DEFAULT_REGION = "eu-west-2"


def add_deployment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prefix", required=True, help="the deployment's resource prefix (the template's Prefix)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                        or DEFAULT_REGION,
                        help=f"the deployment's region (default: the environment's, else {DEFAULT_REGION})")
