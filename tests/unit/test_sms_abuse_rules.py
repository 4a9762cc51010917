"""The pure rules against SMS pumping and cross-site requests: phone countries, the hourly budget, origins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from chalicelib.domain.contacts import ContactHasher, PhoneCountries
from chalicelib.domain.errors import HexwatchError
from chalicelib.domain.request_origin import SiteOrigins, origin_of
from chalicelib.services.sms_budget import COUNTED_METRIC, REFUSED_METRIC, TransactionalSmsBudget

KEY = b"contact-hash-key-for-tests-only"
UK_ONLY = ContactHasher(KEY)
ISLANDS_TOO = ContactHasher(KEY, PhoneCountries.parse("gb, je,GG ,IM"))
JERSEY_MOBILE, GUERNSEY_MOBILE, MANX_MOBILE = "+447797712345", "+447781123456", "+447624123456"


@pytest.mark.parametrize("number", ["+353871234567", "+12025550123", JERSEY_MOBILE, GUERNSEY_MOBILE, MANX_MOBILE])
def test_by_default_only_uk_mobiles_are_texted_and_the_refusal_says_so_in_words(number: str) -> None:
    with pytest.raises(HexwatchError) as refused:
        UK_ONLY.mobile(number)
    assert refused.value.status == 400
    assert refused.value.errors[0].pointer == "/phone"
    assert "mobile numbers in the UK" in refused.value.message and "email" in refused.value.message


def test_the_crown_dependencies_count_only_when_listed() -> None:
    assert ISLANDS_TOO.mobile(JERSEY_MOBILE).address == JERSEY_MOBILE
    assert ISLANDS_TOO.mobile("07400 123456").address == "+447400123456"
    with pytest.raises(HexwatchError) as refused:
        ISLANDS_TOO.mobile("+353871234567")
    assert "the UK, Guernsey, the Isle of Man or Jersey" in refused.value.message


def test_a_setting_naming_no_known_region_fails_at_start_rather_than_refusing_every_number() -> None:
    with pytest.raises(ValueError, match="UK"):
        PhoneCountries.parse("GB,UK")
    assert PhoneCountries.parse("") == PhoneCountries.parse(None) == PhoneCountries(frozenset({"GB"}))


def test_landlines_for_voice_must_be_in_the_same_countries_and_never_premium_rate() -> None:
    assert UK_ONLY.landline("01785 257111").address == "+441785257111"
    for number in ("+33142685300", "+441534712345", "09098790000", "07000123456"):
        with pytest.raises(HexwatchError) as refused:
            UK_ONLY.landline(number)
        assert refused.value.errors[0].pointer == "/landline", number


class FakeWindowCounter:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key], 1234


def test_the_budget_counts_mobiles_only_and_refuses_past_it_with_429_naming_phone() -> None:
    counter, metrics = FakeWindowCounter(), []
    budget = TransactionalSmsBudget(counter, 2, metrics.append)
    email, mobile = UK_ONLY.email("jo@example.org"), UK_ONLY.mobile("07400 123456")
    budget.charge([email])
    budget.charge([email, mobile])
    budget.charge([mobile])
    assert metrics == [COUNTED_METRIC, COUNTED_METRIC]
    with pytest.raises(HexwatchError) as refused:
        budget.charge([email, mobile])
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "1234"}
    assert [e.pointer for e in refused.value.errors] == ["/phone"]
    assert metrics[-1] == REFUSED_METRIC
    budget.charge([email])  # email still works past the budget


def test_origins_compare_as_browsers_write_them() -> None:
    assert origin_of("https://Alerts.Example.org:443/some/page") == "https://alerts.example.org"
    assert origin_of("http://localhost:8080/") == "http://localhost:8080"
    assert origin_of("not a url") == ""


@pytest.mark.parametrize(("fetch_site", "origin", "refused_by"), [
    ("cross-site", None, "Sec-Fetch-Site"),
    ("Cross-Site", "https://alerts.example.org", "Sec-Fetch-Site"),
    (None, "https://evil.example", "Origin"),
    ("same-site", "https://evil.alerts.example.org", "Origin"),
    (None, "null", "Origin"),
    ("same-origin", "https://alerts.example.org", None),
    ("same-site", None, None),
    ("none", None, None),
    (None, "https://api.example.org", None),
    (None, None, None),
])
def test_a_request_is_cross_site_by_fetch_metadata_or_a_foreign_origin(fetch_site: str | None, origin: str | None,
                                                                       refused_by: str | None) -> None:
    ours = SiteOrigins.from_urls("https://alerts.example.org", "https://api.example.org/")
    assert ours.refusal(fetch_site, origin) == refused_by


def test_the_alarm_watches_the_metric_the_budget_emits_where_powertools_puts_it() -> None:
    root = Path(__file__).parents[2]
    template = yaml.safe_load((root / "infra" / "resources.yaml").read_text())
    alarm = template["Resources"]["TransactionalSmsBudgetAlarm"]["Properties"]
    environment = json.loads((root / "chalice.json").read_text())["environment_variables"]
    assert alarm["MetricName"] == REFUSED_METRIC
    assert alarm["Namespace"] == environment["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": environment["POWERTOOLS_SERVICE_NAME"]}]
    assert alarm["AlarmActions"] == [{"Ref": "OperatorAlarmsTopic"}]
