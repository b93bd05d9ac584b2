"""Dates in text: absolute forms in several languages, year-less and relative ones anchored on publication."""
from datetime import date, datetime, timezone

import pytest

from transforms.dates import find_dates

SATURDAY = datetime(2024, 2, 3, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "day", "precision"), [
    ("It happened on 2 February 2024.", date(2024, 2, 2), "day"),
    ("It happened on February 2, 2024.", date(2024, 2, 2), "day"),
    ("It happened on Feb. 2, 2024.", date(2024, 2, 2), "day"),
    ("It happened on 2nd of February, 2024.", date(2024, 2, 2), "day"),
    ("A memo dated 2024-01-30.", date(2024, 1, 30), "day"),
    ("Der Angriff am 3. März 2024.", date(2024, 3, 3), "day"),
    ("Le 5 mai 2022, rien.", date(2022, 5, 5), "day"),
    ("El 5 de mayo de 2022.", date(2022, 5, 5), "day"),
    ("In May 2023 the talks began.", date(2023, 5, 1), "month"),
])
def test_absolute_dates(text, day, precision) -> None:
    (found,) = find_dates(text, None)
    assert (found.day, found.precision) == (day, precision)


@pytest.mark.parametrize(("text", "day"), [
    ("The attack of January 28 killed three.", date(2024, 1, 28)),
    ("Elections on December 30 were quiet.", date(2023, 12, 30)),   # nearest December 30: last year
    ("Strikes began on Friday.", date(2024, 2, 2)),
    ("Talks resume next Monday.", date(2024, 2, 5)),
    ("He said so yesterday.", date(2024, 2, 2)),
])
def test_relative_dates_are_anchored_on_publication(text, day) -> None:
    (found,) = find_dates(text, SATURDAY)
    assert found.day == day


def test_relative_dates_need_an_anchor() -> None:
    assert find_dates("Strikes began on Friday, January 28.", None) == []


@pytest.mark.parametrize("text", [
    "It may rain.", "The march went on.", "They met on 31 February 2024.", "Prices rose 2 percent in 2024.",
])
def test_words_that_look_like_dates_are_not(text) -> None:
    assert find_dates(text, SATURDAY) == []
