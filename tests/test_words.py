"""The word lists are reviewed data, checked on load with errors that name the file and the key."""
from __future__ import annotations

import pytest
import yaml

from bot.errors import RulesError
from bot.words import DEFAULT_PATH, known, load_words


def _write(tmp_path, change):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["intents"].update(forget="forget (me"), "intents.forget: bad pattern"),
    (lambda d: d.pop("topical"), "topical"),
    (lambda d: d["answers"].append({"answer": "yes"}), "answers.5.re"),
])
def test_a_broken_word_list_names_file_and_key(tmp_path, change, expected):
    path = _write(tmp_path, change)
    with pytest.raises(RulesError) as err:
        load_words(path)
    assert "words.yaml" in str(err.value) and expected in str(err.value)


def test_unknown_ids_are_named():
    with pytest.raises(RulesError, match="intents: unknown farewell"):
        known(DEFAULT_PATH, "intents", ["forget", "farewell"], {"forget", "why"})


def test_the_shipped_lists_load_and_drive_the_readers():
    from bot.answers import Answer, read_answer
    from bot.intents import Intent, classify

    words = load_words()
    assert set(words.intents) == {str(i) for i in Intent} - {"question", "statement"}
    assert classify("please start over") is Intent.START_OVER and read_answer("nope") is Answer.NO
