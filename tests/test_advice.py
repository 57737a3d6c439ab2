"""The advice per cause is reviewed data, checked on load with errors that name the file and the key."""
from __future__ import annotations

import pytest
import yaml

from bot.advice import DEFAULT_PATH, Advice
from bot.errors import RulesError
from bot.ids import Cause
from bot.templates import Templates


def _write(tmp_path, change) -> object:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "advice.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_shipped_advice_covers_every_cause_and_its_passages_exist(real_retriever):
    advice = Advice.load(template_keys=set(Templates.load().data))
    for cause in Cause:
        for step in advice.for_cause(str(cause)):
            if step.cite:
                assert step.cite in real_retriever.passage(step.cite).text
    for phrase in (advice.when_care, advice.screen_cite):
        assert phrase in real_retriever.passage(phrase).text
    assert [s.say for s in advice.for_cause("sciatic_nerve_tension") if s.say] == ["summary_nerve"]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["advice"].pop("default"), "default"),
    (lambda d: d["advice"].update(not_a_cause=[{"cite": "x"}]), "not_a_cause"),
    (lambda d: d["advice"]["technique"].append({"cite": "x", "say": "y"}), "advice.technique.3"),
    (lambda d: d.pop("when_care"), "when_care"),
])
def test_a_broken_advice_file_names_file_and_key(tmp_path, change, expected):
    path = _write(tmp_path, change)
    with pytest.raises(RulesError) as err:
        Advice.load(path)
    assert "advice.yaml" in str(err.value) and expected in str(err.value)


def test_a_step_naming_a_missing_template_is_refused(tmp_path):
    path = _write(tmp_path, lambda d: d["advice"]["default"].append({"say": "no_such_template"}))
    with pytest.raises(RulesError, match="no_such_template"):
        Advice.load(path, template_keys=set(Templates.load().data))
