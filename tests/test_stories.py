"""Story assignment: same event joins, another time is another story, copies follow originals."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.conftest import SEEDS
from transforms.clean import clean_text
from transforms.stories import StoryDoc, assign_stories

T0 = datetime(2021, 6, 28, tzinfo=timezone.utc)


def doc(prefix: str, when: datetime, duplicate_of: str | None = None) -> StoryDoc:
    text = clean_text(next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")).text
    return StoryDoc(prefix, text, when, frozenset(), duplicate_of=duplicate_of)


def test_seed_reports_of_one_event_share_a_story_and_2024_is_apart() -> None:
    batch = [doc("000", T0), doc("001", T0, duplicate_of="000"), doc("002", T0), doc("003", datetime(2024, 2, 3, tzinfo=timezone.utc)),
             doc("004", T0)]
    stories = assign_stories(batch, [])
    assert stories["000"] == stories["001"] == stories["002"] == stories["004"] == "000"
    assert stories["003"] == "003"


def test_same_text_outside_the_window_starts_a_new_story() -> None:
    member = StoryDoc("old", doc("002", T0).text, T0, frozenset(), story_id="s-old")
    later = doc("004", T0 + timedelta(days=30))
    assert assign_stories([later], [member])["004"] == "004"
    assert assign_stories([doc("004", T0 + timedelta(days=1))], [member])["004"] == "s-old"


def test_copy_takes_the_story_of_its_stored_original() -> None:
    copy = doc("001", T0, duplicate_of="stored-000")
    assert assign_stories([copy], [], known_stories={"stored-000": "s-7"})["001"] == "s-7"
