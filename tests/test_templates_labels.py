"""Every label an escalation or summary needs is checked when the templates load (escalation must never fail)."""
from __future__ import annotations

import re

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


def _declared() -> dict[str, tuple[str, ...]]:
    from bot.symptoms.findings import FindingExtractor

    return {name: slot.values for name, slot in FindingExtractor.load().slots.items()}


def test_every_declared_finding_has_a_label() -> None:
    Templates.load().check_findings(_declared())  # the shipped files agree


@pytest.mark.parametrize(("change", "message"), [
    (lambda labels: labels["location"].pop("calf"), "finding_labels.location must label exactly"),
    (lambda labels: labels.pop("sensation"), "missing ['sensation']"),
    (lambda labels: labels.update(mood={"happy": "you are happy"}), "unknown ['mood']"),
    (lambda labels: labels["technique"].update(sideways="you stretch sideways"), "finding_labels.technique"),
])
def test_finding_labels_must_match_the_declared_slots(change, message) -> None:
    templates = Templates.load()
    labels = templates.data["finding_labels"] = {k: dict(v) for k, v in templates.data["finding_labels"].items()}
    change(labels)
    with pytest.raises(RulesError, match=re.escape(message)):
        templates.check_findings(_declared())
