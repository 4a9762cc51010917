"""Surveys without AWS: how residents are told to answer on each channel, and the officer's table with small cells
hidden so that none can be worked out from the totals beside it."""

from __future__ import annotations

import itertools
import random

from chalicelib.domain.small_counts import FEWER_THAN
from chalicelib.domain.surveys import HIDDEN, TOTAL, answer_text, breakdown, sms_line, voice_line

SURVEY = {"question": "Did you hear anything?", "options": ["Yes", "No", "Not sure"]}


def test_each_channel_says_how_to_answer() -> None:
    assert sms_line(SURVEY) == " Did you hear anything? Reply 1 for Yes, 2 for No, 3 for Not sure."
    assert sms_line({"question": "Tell us more", "free_text": True}) == ""
    spoken = voice_line(SURVEY, "+447700900123")
    assert "1: Yes. 2: No. 3: Not sure" in spoken and "0 7 7 0 0 9 0 0 1 2 3" in spoken
    assert "use the link in our email" in voice_line(SURVEY, None) and "text" not in voice_line(SURVEY, None)


def test_an_answer_must_be_one_of_the_options_or_some_words() -> None:
    assert answer_text(SURVEY, 3, None) == (3, None)
    for bad in (0, 4, None):
        try:
            answer_text(SURVEY, bad, None)
        except ValueError as error:
            assert "from 1 to 3" in str(error)
        else:
            raise AssertionError(f"{bad} was taken")
    assert answer_text({"question": "Why?", "free_text": True}, None, "  Because  ") == (None, "Because")


def test_cells_below_five_show_as_fewer_than_five_and_their_complements_are_hidden() -> None:
    answers = [("North", "Yes")] * 12 + [("North", "No")] * 3 + [("South", "Yes")] * 7 + [("South", "No")] * 9
    table = breakdown(answers, ["Yes", "No"], ["North", "South"])
    north, south = (row["counts"] for row in table["rows"])
    assert north["No"] == FEWER_THAN and north["Yes"] == HIDDEN and north[TOTAL] == 15
    assert south["Yes"] == HIDDEN and south["No"] == HIDDEN and south[TOTAL] == 16
    assert table["totals"] == {"Yes": 19, "No": 12, TOTAL: 31}


def test_big_cells_are_all_shown() -> None:
    answers = [("North", "Yes")] * 6 + [("North", "No")] * 5
    assert breakdown(answers, ["Yes", "No"], ["North"])["rows"][0]["counts"] == {"Yes": 6, "No": 5, TOTAL: 11}


def test_no_line_of_any_random_table_has_exactly_one_hidden_cell() -> None:
    """What makes a hidden cell recoverable from a row's or column's total: never left, whatever the counts."""
    chance = random.Random(7)
    for _ in range(300):
        rows, columns = ["A", "B", "C"][: chance.randint(1, 3)], ["x", "y", "z"][: chance.randint(2, 3)]
        answers = [(r, c) for r, c in itertools.product(rows, columns) for _ in range(chance.choice([0, 1, 3, 5, 9]))]
        table = breakdown(answers, columns, rows)
        grid = {(row["area"], column): value for row in table["rows"] for column, value in row["counts"].items()}
        grid.update({("TOTAL", column): value for column, value in table["totals"].items()})
        hidden = {cell for cell, value in grid.items() if isinstance(value, str)}
        every_row = [row["area"] for row in table["rows"]] + ["TOTAL"]
        for line in ([(r, c) for c in [*columns, TOTAL]] for r in every_row):
            assert sum(cell in hidden for cell in line) != 1, (answers, table)
        for line in ([(r, c) for r in every_row] for c in [*columns, TOTAL]):
            assert sum(cell in hidden for cell in line) != 1, (answers, table)
        assert all(not isinstance(value, int) or value >= 5 for value in grid.values())


def test_a_call_about_an_alert_with_a_survey_says_how_to_answer_it() -> None:
    from datetime import UTC, datetime

    from chalicelib.domain.alert_messages import voice_text
    from chalicelib.domain.alerts import Alert, Content, Source, Status

    alert = Alert(id="01J0ABCDEFGHJKMNPQRSTVWXYZ", type="alert", references=[], status=Status.SENDING,
                  category="crime", priority="normal", incident_ref="SP-1", contact={"phone": "101"},
                  target={"type": "organisation"}, channels=["voice"], groups=[], business_sectors=[],
                  content={"en": Content("Vans", "Vans were seen.")}, source=Source("officer", "staffs", "sub"),
                  created_at=datetime(2026, 12, 2, tzinfo=UTC), survey=SURVEY)
    script = voice_text(alert, "en", "Staffs Police", two_way_number="+447700900123")
    assert script.count("text the number of your answer to 0 7 7 0 0 9 0 0 1 2 3") == 2  # said, and repeated
    assert "use the link in our email" in voice_text(alert, "en", "Staffs Police")
