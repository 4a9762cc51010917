"""`make package`: the deployable template: Chalice's SAM output merged with infra/resources.yaml and the patches
(`infra/*.patch.yaml`: everything that names a Chalice-generated resource, such as a function or the REST API, and so
cannot be deployed on its own).

    python -m infra.package --out build/package [--stage dev]

writes `deployment.zip`, `sam.yaml` and the merge template it used (`merge.yaml`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "infra" / "resources.yaml"
PATCHES = sorted((ROOT / "infra").glob("*.patch.yaml"))
LAYER_ZIP = ROOT / "build" / "layer" / "dependencies.zip"


class _StrictLoader(yaml.SafeLoader):
    """Refuses a key written twice in one mapping: plain YAML keeps the last silently, dropping the first patch."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicates = sorted({str(key) for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"{node.start_mark}: keys written twice: {', '.join(duplicates)}")
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    return dict(loaded)


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_template() -> dict[str, Any]:
    from infra.functions import fragment as per_function

    merged = load_yaml(RESOURCES)
    dead_letter_queues = tuple(lid for lid, resource in merged["Resources"].items()
                               if resource["Type"] == "AWS::SQS::Queue" and lid.endswith("DeadLetterQueue"))
    fragments = [(patch.name, load_yaml(patch)) for patch in PATCHES]
    names = {lid: str((resource["Properties"].get("QueueName") or resource["Properties"]["TopicName"])["Fn::Sub"])
             for lid, resource in merged["Resources"].items()
             if resource["Type"] in ("AWS::SQS::Queue", "AWS::SNS::Topic")}
    fragments.append(("infra/functions.py", per_function(dead_letter_queues, names)))
    for source, fragment in fragments:
        _refuse_overrides(merged, fragment, source)
        merged = deep_merge(merged, fragment)
    return merged


def _refuse_overrides(base: dict[str, Any], patch: dict[str, Any], source: str, path: str = "") -> None:
    """Two files setting the same value would leave one of them silently ignored; patches may only add."""
    for key, value in patch.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in base:
            continue
        if isinstance(value, dict) and isinstance(base[key], dict):
            _refuse_overrides(base[key], value, source, where)
        elif base[key] != value:
            raise ValueError(f"{source} sets {where}, which another file already sets")


def package(out: Path, stage: str = "dev") -> Path:
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    merge_path = out / "merge.yaml"
    merge_path.write_text(yaml.safe_dump(merge_template(), sort_keys=False), encoding="utf-8")
    package_dir = out / "chalice"
    # Chalice imports the app to find its handlers, and the app names queues and topics from HEXWATCH_* at import: the
    # template must not depend on what the caller's shell (or a test session) happens to have set.
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEXWATCH_")}
    env["AWS_DEFAULT_REGION"] = os.environ.get("AWS_DEFAULT_REGION", "eu-west-2")
    with tempfile.TemporaryDirectory() as staging:
        # The dependencies reach every function through the layer (`make layer`), so the function package is our code
        # only: Chalice bundles whatever requirements.txt lists, so it packages a copy of functions/ without it.
        project = Path(staging) / "functions"
        shutil.copytree(ROOT / "functions", project, ignore=shutil.ignore_patterns(
            "requirements*.txt", "__pycache__", ".mypy_cache"))
        # --project-dir makes the CLI chdir into the project, so every path given to it is absolute.
        subprocess.run([str(Path(sys.executable).parent / "chalice"), "--project-dir", str(project),
                        "package", "--stage", stage, "--merge-template", str(merge_path), str(package_dir)],
                       check=True, env=env)
    if LAYER_ZIP.exists():
        shutil.copyfile(LAYER_ZIP, package_dir / "dependencies-layer.zip")
    return package_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args()
    print(f"packaged into {package(args.out, args.stage)}")


if __name__ == "__main__":
    main()
