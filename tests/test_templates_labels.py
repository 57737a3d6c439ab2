"""Every label an escalation or summary needs is checked when the templates load (escalation must never fail)."""
from __future__ import annotations

import pytest
import yaml

from bot.errors import RulesError
from bot.templates import DEFAULT_PATH, Templates


@pytest.mark.parametrize(("key", "label_id"), [("flag_labels", "cauda_equina_signs"),
                                               ("cause_labels", "meniscus")])
def test_a_missing_label_is_refused_at_load(tmp_path, key, label_id):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    del data[key][label_id]
    path = tmp_path / "templates.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RulesError) as err:
        Templates.load(path)
    assert key in str(err.value) and label_id in str(err.value) and "templates.yaml" in str(err.value)


def test_an_empty_flag_label_is_refused(tmp_path):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["flag_labels"]["knee_instability"] = "  "
    path = tmp_path / "templates.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RulesError, match="knee_instability"):
        Templates.load(path)


def test_the_shipped_templates_label_every_flag_and_cause():
    t = Templates.load()
    from bot.ids import Cause, RedFlag

    assert all(t(f"flag_labels.{f}") for f in RedFlag) and all(t.cause(c) for c in Cause)
