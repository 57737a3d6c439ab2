import pytest

from bot.errors import DialogueFileError
from bot.eval import dialogues
from bot.ids import Triage
from bot.reply import Citation, Reply


def write(tmp_path, text):
    path = tmp_path / "d.yaml"
    path.write_text(text)
    return path


def test_malformed_files_name_line_and_key(tmp_path):
    with pytest.raises(DialogueFileError, match=r"d.yaml:4: .*unknown expect key\(s\) \['tirage'\]"):
        dialogues.load_dialogues(write(tmp_path, "dialogues:\n  - id: a\n    turns:\n      - user: hi\n"
                                                  "        expect: {tirage: seek_care}\n"))
    with pytest.raises(DialogueFileError, match="unknown red flag 'knee_instabilty'"):
        dialogues.load_dialogues(write(tmp_path, "dialogues:\n  - id: a\n    turns:\n      - user: hi\n"
                                                  "        expect: {red_flags: [knee_instabilty]}\n"))
    with pytest.raises(DialogueFileError, match="top-level 'dialogues:'"):
        dialogues.load_dialogues(write(tmp_path, "- just a list\n"))
    with pytest.raises(DialogueFileError, match="not valid YAML"):
        dialogues.load_dialogues(write(tmp_path, "dialogues: [\n"))


def test_check_reports_each_failed_expectation():
    reply = Reply(text="Please stop stretching.", triage=Triage.SEEK_CARE, red_flags=("knee_instability",),
                  question=None, citations=(Citation("c1", "a.txt", "S", "the knee feeling unstable"),),
                  causes=(("meniscus", 0.6),))
    assert dialogues.check({"red_flags": ["knee_instability"], "triage": "seek_care", "asks": False,
                             "cites": ["unstable"], "says": ["stop stretching"], "top_cause": "meniscus"},
                            reply) == []
    failures = dialogues.check({"no_red_flags": True, "triage": "self_care", "asks": True,
                                 "cites": ["baker"], "not_says": ["stop"], "causes_include": ["technique"]}, reply)
    assert [f.split(":")[0] for f in failures] == ["no_red_flags", "triage", "asks", "cites", "not_says",
                                                   "causes_include"]
