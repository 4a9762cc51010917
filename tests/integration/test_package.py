"""`make package` builds a deployable template; the schemas reach the Lambda package and load from it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from infra.package import package

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package(tmp_path_factory.mktemp("package"))


def test_every_schema_is_in_the_lambda_package_and_validates_from_there(packaged: Path,
                                                                        tmp_path: Path) -> None:
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        archive.extractall(tmp_path)
    for schema in (ROOT / "schemas").glob("*.json"):
        unpacked = tmp_path / "chalicelib" / "schemas" / schema.name
        assert json.loads(unpacked.read_text()) == json.loads(schema.read_text())
    # Load the schemas exactly as the function does, from the unpacked package alone.
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path;"
              "from chalicelib.domain.validation import SchemaLibrary;"
              "lib = SchemaLibrary(Path(sys.argv[1]) / 'chalicelib' / 'schemas');"
              "print(len(lib.errors('signup', {})))")
    result = subprocess.run([sys.executable, "-I", "-c", script, str(tmp_path)], capture_output=True, text=True,
                            check=True, cwd=tmp_path)
    assert int(result.stdout.strip()) > 0
    assert (tmp_path / "chalicelib" / "data" / "uk-outcodes.csv").stat().st_size > 50_000


def test_the_merged_template_holds_every_resource_and_partial_batch_failures(packaged: Path) -> None:
    template = yaml.safe_load((packaged / "sam.yaml").read_text())
    resources = template["Resources"]
    for logical_id in yaml.safe_load((ROOT / "infra" / "resources.yaml").read_text())["Resources"]:
        assert logical_id in resources
    for function in ("SendTransactional", "TargetAlerts", "DeliverEmail", "DeliverSms", "DeliverVoice", "DeliverPush"):
        event = resources[function]["Properties"]["Events"][f"{function}SqsEventSource"]
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function
    assert resources["APIHandler"]["Type"] == "AWS::Serverless::Function"
    # The deployed functions learn the pool and the sender from the stack, not from a hand-edited file.
    for function in ("APIHandler", "OfficerAuthorizer"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["HEXWATCH_USER_POOL_ID"] == {"Ref": "OfficersUserPool"}
        assert variables["HEXWATCH_USER_POOL_CLIENT_ID"] == {"Ref": "OfficersUserPoolClient"}
    assert resources["UnauthorizedResponse"]["Properties"]["RestApiId"] == {"Ref": "RestAPI"}


def test_the_merged_template_passes_cfn_lint(packaged: Path) -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(packaged / "sam.yaml"),
                             "--ignore-checks", "W"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
