import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsCost,
    describe,
    encoding,
    fit,
    length_in_units,
    segments,
)

LINK = "https://alerts.example.police.uk/a/7Kq2x"


def test_the_default_alphabet_and_its_extension_table_are_complete() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes less the escape
    assert set("^{}\\[~]|€\f") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert "\x1b" not in GSM7_BASIC


@pytest.mark.parametrize(("length", "parts"), [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3)])
def test_plain_texts_take_160_septets_in_one_part_and_153_in_each_of_several(length: int, parts: int) -> None:
    text = "a" * length
    assert encoding(text) == "GSM-7"
    assert length_in_units(text) == length
    assert segments(text) == parts


def test_an_empty_text_is_still_one_text() -> None:
    assert describe("") == SmsCost(segments=1, encoding="GSM-7")


def test_french_and_german_accents_in_the_default_alphabet_stay_gsm7() -> None:
    text = "Café near the Müller Straße bus stop: é è à ñ ü ø Å"
    assert encoding(text) == "GSM-7"
    assert segments("é" * 160) == 1


@pytest.mark.parametrize("letter", ["ł", "ŵ", "ŷ", "\u2019", "`", "ç"])
def test_one_letter_outside_the_alphabet_makes_the_whole_text_ucs2(letter: str) -> None:
    assert encoding("Road closed in Llanfair " + letter) == "UCS-2"
    assert segments(letter * 70) == 1
    assert segments(letter * 71) == 2
    assert segments(letter * 134) == 2
    assert segments(letter * 135) == 3


def test_a_welsh_letter_turns_a_one_part_english_text_into_two() -> None:
    text = "a" * 69
    assert describe(text) == SmsCost(segments=1, encoding="GSM-7")
    assert describe(text + "ŵ") == SmsCost(segments=1, encoding="UCS-2")
    assert describe(text + "ŵŵ") == SmsCost(segments=2, encoding="UCS-2")


def test_extension_characters_like_the_euro_sign_cost_two_septets() -> None:
    assert encoding("Fine: €100 [max]") == "GSM-7"
    assert length_in_units("€") == 2
    assert length_in_units("a{b}c") == 7
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2


def test_an_extension_character_at_a_part_boundary_moves_whole_to_the_next_part() -> None:
    # 152 + 2 + 152 = 306 septets: division says 2 parts, but the euro sign cannot straddle parts 1 and 2.
    text = "a" * 152 + "€" + "a" * 152
    assert length_in_units(text) == 306
    assert -(-length_in_units(text) // 153) == 2
    assert segments(text) == 3
    # The same septets with the euro sign away from the boundary pack into 2.
    assert segments("€" + "a" * 304) == 2


def test_emoji_take_two_ucs2_units_and_are_never_split_across_parts() -> None:
    assert encoding("Stay safe 👮") == "UCS-2"
    assert length_in_units("👮") == 2
    assert segments("👮" * 35) == 1
    assert segments("👮" * 36) == 2
    text = "ł" * 66 + "👮" + "ł" * 66  # 134 units: 2 parts by division, but the emoji cannot straddle them
    assert length_in_units(text) == 134
    assert segments(text) == 3


def test_a_text_that_fits_is_returned_unchanged() -> None:
    text = "Burglary on Mill Lane last night. Please lock sheds and report anything unusual."
    assert fit(text, 1, LINK) == text
    assert fit("a" * 161, 2, LINK) == "a" * 161


def _words(count: int, word: str = "word") -> str:
    return " ".join(f"{word}{i}" for i in range(count))


def test_a_long_gsm7_text_is_shortened_with_the_link_to_fill_the_parts_exactly() -> None:
    text = _words(100)
    for parts in (1, 2, 3):
        short = fit(text, parts, LINK)
        assert short.endswith("... " + LINK)
        assert encoding(short) == "GSM-7"
        assert segments(short) == parts
        kept = short.removesuffix("... " + LINK)
        assert text.startswith(kept)
        next_word = text[len(kept) :].split()[0]
        assert segments(f"{kept} {next_word}... {LINK}") > parts  # no further word would have fitted


def test_a_long_ucs2_text_is_shortened_with_the_link_to_fill_the_parts_exactly() -> None:
    text = _words(60, "ffordd")  # Welsh road
    text = "Ŵyl " + text
    for parts in (1, 2):
        short = fit(text, parts, LINK)
        assert short.endswith("… " + LINK)
        assert encoding(short) == "UCS-2"
        assert segments(short) == parts
        kept = short.removesuffix("… " + LINK)
        next_word = text[len(kept) :].split()[0]
        assert segments(f"{kept} {next_word}… {LINK}") > parts


def test_shortening_a_gsm7_text_never_makes_it_ucs2() -> None:
    text = _words(50)
    short = fit(text, 1)
    assert short.endswith("...")
    assert "…" not in short
    assert describe(short) == SmsCost(segments=1, encoding="GSM-7")


def test_a_text_whose_only_unusual_letter_is_cut_off_goes_back_to_gsm7() -> None:
    text = _words(40) + " ŵ"
    assert encoding(text) == "UCS-2"
    short = fit(text, 1, LINK)
    assert describe(short) == SmsCost(segments=1, encoding="GSM-7")
    assert short.endswith("... " + LINK)


def test_shortening_cuts_between_words_and_drops_trailing_punctuation() -> None:
    # "bb, c" would still fit in 160 septets, but cutting "cccccccc" would leave half a word.
    assert fit("a" * 150 + " bb, cccccccc", 1) == "a" * 150 + " bb..."
    assert fit("Road closed, " + "y" * 200, 1) == "Road closed..."
    assert fit("Road closed!  (" + "y" * 200, 1) == "Road closed..."


def test_a_first_word_too_long_on_its_own_is_cut() -> None:
    short = fit("z" * 300, 1, LINK)
    assert short == "z" * (160 - 3 - 1 - len(LINK)) + "... " + LINK
    assert segments(short) == 1


def test_the_link_alone_when_nothing_of_the_text_fits_beside_it() -> None:
    link = "https://example.org/" + "a" * 136  # 156 septets, leaving no room for text, ellipsis and space
    assert fit("b" * 200, 1, link) == link


def test_a_link_that_cannot_fit_on_its_own_is_refused() -> None:
    with pytest.raises(ValueError, match="link"):
        fit("c" * 400, 1, "https://example.org/" + "a" * 200)
    with pytest.raises(ValueError):
        fit("c" * 400, 0)


# Letters from the default alphabet, the extension table, Welsh and Polish, emoji, spaces, and anything else.
_TEXTS = st.text(
    alphabet=st.sampled_from([*"abc xyz €[]^ éüñ łŵ ,.!?", "👮", "\n", "\t"]) | st.characters(),
    max_size=900,
)
_LINKS = st.none() | st.sampled_from([LINK, "https://x.uk/1", "https://x.uk/ŵ"])


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS, max_segments=st.integers(min_value=1, max_value=4), link=_LINKS)
def test_fitted_texts_always_fit_and_shortened_ones_end_with_the_link(
    text: str, max_segments: int, link: str | None
) -> None:
    short = fit(text, max_segments, link)
    assert segments(short) <= max_segments
    if segments(text) <= max_segments:
        assert short == text
    else:
        assert short != text
        assert short.endswith(link if link else ("...", "…"))
        kept = short.removesuffix(f" {link}" if link else "")
        if kept != link:
            assert kept.endswith(("...", "…"))
            assert text.startswith(kept.removesuffix("...").removesuffix("…"))
