"""Least privilege, proven: every AWS call a function made in this test session is allowed by that function's role.

tests/aws_calls.py recorded the calls (unit tier under Stubber, integration tier on the emulator, e2e tier in the
local stack's process); tests/iam_proof.py maps them to IAM actions and resources, adds what AWS does with the role
(event sources, KMS, logs, X-Ray, dead-letter queues) and checks the packaged template. The emulator's own IAM
enforcement is no use for this (docs/security.md, "Least privilege").
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.package import package
from tests import aws_calls
from tests.iam_proof import Permission, Template, functions_of, permissions_for, violations


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    packaged = package(tmp_path_factory.mktemp("least-privilege"))
    return Template(yaml.safe_load((packaged / "sam.yaml").read_text()))


def _session_calls() -> list[dict[str, Any]]:
    directory = os.environ.get(aws_calls.CALLS_DIR_ENV)
    return aws_calls.recorded(Path(directory) if directory else None)


@pytest.mark.after_all_other_tests
def test_every_call_the_functions_made_is_allowed_by_their_own_role(template: Template) -> None:
    calls = _session_calls()
    attributed = [call for call in calls if functions_of(call, template)]
    missing = violations(calls, template)
    assert not missing, (f"{len(missing)} permission(s) missing from the packaged template "
                         f"({len(attributed)} distinct calls checked):\n" + "\n".join(map(str, missing)))


# Three calls the code makes, as the recorder sees them.
SEND_BULK_EMAIL = {"service": "ses", "operation": "SendBulkEmail", "api_entry": False,
                   "frames": ["chalicelib.adapters.bulk_email:SesBulkEmailSender.send"],
                   "resources": {"FromEmailAddress": "alerts@hexwatch.example"}}
READ_RECIPIENTS = {"service": "dynamodb", "operation": "BatchGetItem", "api_entry": False,
                   "frames": ["chalicelib.adapters.residents_store:ResidentStore.get_many",
                              "chalicelib.workers.alerts:deliver_sms"],
                   "resources": {"RequestItems": ["hexwatch-subscribers"]}}
QUEUE_A_CODE = {"service": "sqs", "operation": "SendMessage", "api_entry": True,
                "frames": ["chalicelib.adapters.messaging:SqsJobQueue.put"],
                "resources": {"QueueUrl": "https://sqs.eu-west-2.amazonaws.com/123456789012/hexwatch-transactional"}}


def _without(template: Template, function: str, action: str) -> Template:
    """The template with `action` taken out of every Allow statement of `function`'s role."""
    document = copy.deepcopy(template.document)
    role = document["Resources"][template.role_of(function)]
    for policy in role["Properties"]["Policies"]:
        statements = policy["PolicyDocument"]["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and action in actions:
                statement["Action"] = [a for a in actions if a != action] or ["none:NoAction"]
    return Template(document)


@pytest.mark.parametrize(("call", "function", "action"), [
    (SEND_BULK_EMAIL, "DeliverEmail", "ses:SendBulkEmail"),
    (READ_RECIPIENTS, "DeliverSms", "dynamodb:BatchGetItem"),
    (QUEUE_A_CODE, "APIHandler", "sqs:SendMessage"),
], ids=["ses-send-bulk-email", "dynamodb-batch-get-item", "sqs-send-message"])
def test_taking_away_one_permission_the_code_uses_fails_and_names_the_function_and_operation(
        template: Template, call: dict[str, Any], function: str, action: str) -> None:
    assert functions_of(call, template) == (function,)
    assert not violations([call], template)
    found = [str(v) for v in violations([call], _without(template, function, action))]
    assert found, f"removing {action} from {function} went unnoticed"
    assert all(function in line and f"{call['service']}.{call['operation']}" in line for line in found), found
    assert any(action in line for line in found), found


def test_an_operation_maps_to_the_actions_aws_checks(template: Template) -> None:
    transaction = {"service": "dynamodb", "operation": "TransactWriteItems", "api_entry": True, "frames": [],
                   "resources": {"TransactItems": [["ConditionCheck", "x-alerts"], ["Put", "x-audit-log"],
                                                   ["Update", "x-deliveries"]]}}
    actions = {(p.action, p.resource.rsplit("/", 1)[-1]) for p in permissions_for(transaction, template)}
    assert actions == {("dynamodb:ConditionCheckItem", "hexwatch-alerts"), ("dynamodb:PutItem", "hexwatch-audit-log"),
                       ("dynamodb:UpdateItem", "hexwatch-deliveries")}
    batch = {"service": "sqs", "operation": "SendMessageBatch", "api_entry": True, "frames": [],
             "resources": {"QueueUrl": "http://localhost:5007/123456789012/t1-deliver-sms"}}
    needed = {p.action for p in permissions_for(batch, template)}
    assert needed == {"sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"}  # the queue is encrypted
    deleted = {"service": "sqs", "operation": "DeleteMessageBatch", "api_entry": True, "frames": [],
               "resources": {"QueueUrl": "http://localhost:5007/123456789012/t1-deliver-sms"}}
    assert {p.action for p in permissions_for(deleted, template)} == {"sqs:DeleteMessage"}


def test_no_statement_allows_every_action_and_the_audit_log_is_append_only(template: Template) -> None:
    audit = template.attribute("AuditLogTable", "Arn")
    for function in template.functions():
        for statement in template.statements(function):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert "*" not in actions and not any(a.endswith(":*") for a in actions), (function, statement)
        for action in ("UpdateItem", "DeleteItem", "BatchWriteItem", "PartiQLUpdate", "PartiQLDelete",
                       "PartiQLInsert"):
            assert not template.allows(function, Permission(f"dynamodb:{action}", audit, "test")), (function, action)
        explicit = [s for s in template.statements(function) if s["Effect"] == "Deny" and audit in s["Resource"]]
        assert explicit, f"{function} has no explicit Deny on the audit log"
    # The API appends officers' actions and reads the trail for the alert view; the pipeline only appends.
    api = template.handlers()["app.app"]
    assert template.allows(api, Permission("dynamodb:PutItem", audit, "test"))
    assert template.allows(api, Permission("dynamodb:Query", audit, "test"))
    for function in set(template.functions()) - {api}:
        assert not template.allows(function, Permission("dynamodb:Query", audit, "test")), function
        assert not template.allows(function, Permission("dynamodb:GetItem", audit, "test")), function


def test_no_role_in_the_template_allows_every_action(template: Template) -> None:
    for logical_id, resource in template.resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies") or []:
            statements = policy["PolicyDocument"]["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                actions = statement.get("Action", [])
                for action in actions if isinstance(actions, list) else [actions]:
                    assert action != "*" and not str(action).endswith(":*"), (logical_id, action)


def test_every_function_has_its_own_role_from_infra_functions(template: Template) -> None:
    # Chalice writes functions/.chalice/policy-dev.json (a deny of everything) into each role it generates; a function
    # missing from infra/functions.py would keep it and could do nothing.
    roles = {template.role_of(function) for function in template.functions()}
    assert len(roles) == len(template.functions())
    for function in template.functions():
        (policy,) = template.resources[template.role_of(function)]["Properties"]["Policies"]
        assert policy["PolicyName"] == f"{function}LeastPrivilege", function
