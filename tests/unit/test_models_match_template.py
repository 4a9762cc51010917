"""The PynamoDB models and infra/resources.yaml describe the same tables."""

from pathlib import Path

import yaml

from chalicelib import config
from chalicelib.adapters.models import ALL_MODELS

TEMPLATE = yaml.safe_load((Path(__file__).parents[2] / "infra" / "resources.yaml").read_text())
TABLES = {
    props["TableName"]["Fn::Sub"].removeprefix("${Prefix}-"): props
    for props in (r["Properties"] for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table")
}


def test_every_model_has_a_table_with_the_same_keys_and_types() -> None:
    for suffix, model in ALL_MODELS.items():
        table = TABLES[suffix]
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        assert keys["HASH"] == model._hash_keyname
        assert keys.get("RANGE") == model._range_keyname
        for name in keys.values():
            assert model.get_attributes()[name].attr_type == types[name]


def test_ttl_attributes_exist_on_the_models() -> None:
    for suffix, model in ALL_MODELS.items():
        ttl = TABLES[suffix].get("TimeToLiveSpecification")
        if ttl:
            assert ttl["AttributeName"] in model.get_attributes()


def test_every_name_the_app_uses_is_in_the_template() -> None:
    suffixes = {
        value["Fn::Sub"].removeprefix("${Prefix}-")
        for resource in TEMPLATE["Resources"].values()
        for key, value in resource["Properties"].items()
        if key in ("TableName", "QueueName", "TopicName", "Name") and isinstance(value, dict) and "Fn::Sub" in value
    }
    for suffix in (config.SUBSCRIBERS_TABLE, config.CONTACTS_TABLE, config.LOCATIONS_TABLE,
                   config.SUPPRESSIONS_TABLE, config.RATE_LIMITS_TABLE, config.IDEMPOTENCY_TABLE,
                   config.TRANSACTIONAL_QUEUE, config.SES_EVENTS_TOPIC, config.SIGNING_SECRET,
                   config.CONTACT_HASH_SECRET):
        assert suffix in suffixes


def test_a_key_written_twice_in_a_template_is_refused(tmp_path: Path) -> None:
    import pytest

    from infra.package import load_yaml

    twice = tmp_path / "patch.yaml"
    twice.write_text("Resources:\n  A: {Properties: {X: 1}}\n  A: {Properties: {Y: 2}}\n")
    with pytest.raises(ValueError, match="written twice: A"):
        load_yaml(twice)
    assert load_yaml(Path(__file__).parents[2] / "infra" / "functions.patch.yaml")["Resources"]
