"""Numbers as the app writes and reads them: what a field shows is the number used."""
import numpy as np
import pytest

from playground.text.number_text import could_become_number, number_text, parse_number


@pytest.mark.parametrize("value, text", [
    (0.001, "0.001"), (1e-7, "1e-7"), (1e-20, "1e-20"), (1e-30, "1e-30"), (0.9, "0.9"), (0.99999, "0.99999"),
    (0.1 + 0.2, "0.30000000000000004"), (1e6, "1e6"), (100.0, "100"), (0.0, "0"), (-0.05, "-0.05"),
    (6000, "6,000"), (2**31 - 1, "2,147,483,647"), (np.int64(60000), "60,000"), (-1, "-1"),
])
def test_a_number_is_written_so_that_reading_it_gives_it_back(value, text):
    assert number_text(value) == text
    assert parse_number(text, whole=isinstance(value, (int, np.integer))) == value


def test_code_gets_whole_numbers_without_separators():
    assert number_text(60000, group=False) == "60000"


@pytest.mark.parametrize("text, value", [
    ("0,001", 0.001), ("0.001", 0.001), (",5", 0.5), ("1e-20", 1e-20), ("1E3", 1000.0), (" 2 ", 2.0), ("-1", -1.0),
])
def test_a_decimal_field_reads_a_comma_as_a_decimal_point(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text, value", [("6,000", 6000), ("6000", 6000), ("-1", -1), ("12,345,678", 12345678)])
def test_a_whole_number_field_reads_thousands_separators(text, value):
    assert parse_number(text, whole=True) == value


@pytest.mark.parametrize("text", ["0,5", "6,00", "0,001", "1.5", "1e3", "fast", ""])
def test_a_whole_number_field_reads_no_decimal_comma_or_point(text):
    assert parse_number(text, whole=True) is None


@pytest.mark.parametrize("text", ["inf", "nan", "1e999", "1.2.3", "0,,1", "fast", "", "-"])
def test_what_is_not_a_finite_number_is_none(text):
    assert parse_number(text) is None


def test_unfinished_numbers_may_be_typed_on_but_letters_may_not():
    for text in ("", "-", "1e", "1e-", "0,", ","):
        assert could_become_number(text)
    assert could_become_number("6,0", whole=True)
    for text in ("fast", "inf", "1x"):
        assert not could_become_number(text)
    assert not could_become_number("1.", whole=True)
