"""`make package` builds a deployable template; the schemas reach the Lambda package and load from it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

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


def _checkov(path: Path) -> dict[str, Any]:
    # --skip-download: no network in CI; checkov's own venv (Makefile) because its pins clash with the runtime's.
    result = subprocess.run([str(Path(sys.executable).parent / "checkov"), "-f", str(path), "--framework",
                             "cloudformation", "--output", "json", "--skip-download", "--compact"],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    assert report, result.stdout[-3000:] + result.stderr[-3000:]
    return dict(report)


def test_the_packaged_template_passes_checkov_and_every_suppression_says_why(packaged: Path) -> None:
    report = _checkov(packaged / "sam.yaml")
    failed = [f"{check['check_id']} {check['resource']}: {check['check_name']}"
              for check in report["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)
    for skipped in report["results"]["skipped_checks"]:
        assert len(str(skipped.get("check_result", {}).get("suppress_comment", ""))) > 20, skipped["check_id"]


def test_the_edge_template_passes_cfn_lint_and_checkov() -> None:
    edge = ROOT / "infra" / "edge.yaml"
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(edge), "--ignore-checks", "W"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    report = _checkov(edge)
    assert not report["results"]["failed_checks"], [c["check_id"] for c in report["results"]["failed_checks"]]


def test_the_template_ships_only_our_code_and_every_function_has_the_layer(packaged: Path) -> None:
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = archive.namelist()
    assert not [name for name in names if name.startswith(("boto3/", "pynamodb/", "shapely/", "numpy/"))]
    template = yaml.safe_load((packaged / "sam.yaml").read_text())
    resources = template["Resources"]
    assert resources["DependencyLayer"]["Type"] == "AWS::Serverless::LayerVersion"
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function":
            properties = resource["Properties"]
            assert properties["Layers"] == [{"Ref": "DependencyLayer"}], logical_id
            assert properties["LoggingConfig"]["LogGroup"] == {"Ref": f"{logical_id}LogGroup"}, logical_id
            assert isinstance(properties["ReservedConcurrentExecutions"], int), logical_id
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Logs::LogGroup":
            assert "RetentionInDays" in resource["Properties"], logical_id


def test_the_template_follows_the_stacks_prefix_not_the_packaging_shell(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXWATCH_PREFIX", "someone-elses")
    text = (package(tmp_path) / "sam.yaml").read_text()
    assert "someone-elses" not in text
    resources = yaml.safe_load(text)["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        assert resource["Properties"]["Environment"]["Variables"]["HEXWATCH_PREFIX"] == {"Ref": "Prefix"}, logical_id
        for event in resource["Properties"].get("Events", {}).values():
            source = event["Properties"].get("Queue") or event["Properties"].get("Topic")
            if source is not None:
                assert "${Prefix}-" in source["Fn::Sub"], logical_id
