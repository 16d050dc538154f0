"""Numbers as the people (French) and the programs (a dot) that read them expect them."""

from __future__ import annotations

import pytest

from grader.formats import dot_number, french_number, integer, milliseconds, seconds

NUMBERS = [(14.5, "14,5", "14.5", "14,5"), (20.0, "20", "20", "20"), (0.125, "0,12", "0.12", "0,125")]


@pytest.mark.parametrize(("value", "french", "dotted", "duration"), NUMBERS)
def test_one_number_in_french_with_a_dot_and_as_a_duration(
    value: float, french: str, dotted: str, duration: str
) -> None:
    assert (french_number(value), dot_number(value), seconds(value)) == (french, dotted, duration)


def test_integers_group_thousands_with_a_space_and_latencies_keep_what_matters() -> None:
    assert integer(198000.4) == "198 000"
    assert [milliseconds(value) for value in (0.125, 3.14159, 12.345, 1234.56)] == ["0,12", "3,14", "12,3", "1234,6"]
