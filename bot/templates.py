"""Reviewed reply templates, loaded from packaged YAML and checked on load."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.datafile import read_yaml
from bot.errors import RulesError
from bot.ids import Cause, RedFlag, Triage

DEFAULT_PATH = Path(__file__).parent / "data" / "templates.yaml"
_REQUIRED = (
    "disclaimer", "greeting", "invite", "thanks", "empty", "too_long", "unreadable", "off_topic",
    "nothing_found", "passages_intro", "back_to_question", "start_over", "start_over_care", "forgotten",
    "no_memory", "memory_intro", "memory_item", "memory_flags", "memory_storage", "acknowledge",
    "correction", "advice_need_more",
    "dont_know", "why_intro", "why_none", "screen_question", "screen_which", "screen_why",
    "confirm_intro", "escalate", "escalate_banner", "escalate_because", "escalate_screen",
    "escalate_still", "escalate_reminder", "escalate_source", "summary_intro", "summary_also",
    "summary_unclear", "summary_because", "summary_advice", "summary_nerve", "summary_when_care",
    "summary_more", "cause_labels", "finding_labels", "flag_labels", "flag_signs", "someone_else", "citation_line",
    "store_failed",
)
_ESCALATING = {str(t) for t in Triage if t is not Triage.SELF_CARE}


class Templates:
    """The reviewed wording, looked up by key and filled with reviewed labels."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def load(cls, path: Path | None = None) -> Templates:
        """Load and validate the template file."""
        path = path or DEFAULT_PATH
        data = read_yaml(path, "templates")
        if not isinstance(data, dict):
            raise RulesError(f"{path}: templates must be a mapping")
        missing = [k for k in _REQUIRED if k not in data]
        if missing:
            raise RulesError(f"{path}: missing template(s) {', '.join(missing)}")
        for key in ("escalate", "escalate_banner", "someone_else"):
            if set(data[key]) != _ESCALATING:
                raise RulesError(f"{path}: {key} must have exactly the levels {sorted(_ESCALATING)}")
        flags = {str(f) for f in RedFlag}
        for key, ids in (("cause_labels", {str(c) for c in Cause}), ("flag_labels", flags), ("flag_signs", flags)):
            labels = data[key]
            if not isinstance(labels, dict):
                raise RulesError(f"{path}: {key} must be a mapping of id to label")
            missing_ids, extra = sorted(ids - set(labels)), sorted(set(labels) - ids)
            if missing_ids or extra:
                raise RulesError(f"{path}: {key} must name exactly the ids of SPEC.md; "
                                 f"missing {missing_ids}, unknown {extra}")
            empty = sorted(k for k, v in labels.items() if not isinstance(v, str) or not v.strip())
            if empty:
                raise RulesError(f"{path}: {key}: empty label for {', '.join(empty)}")
        return cls(data)

    def check_findings(self, declared: Mapping[str, tuple[str, ...]], path: Path | None = None) -> None:
        """Every declared slot value (findings.yaml) has a label in finding_labels, and nothing else does
        (a free slot's label is `said`); RulesError naming the file and key otherwise."""
        where = path or DEFAULT_PATH
        labels = self.data["finding_labels"]
        if not isinstance(labels, dict):
            raise RulesError(f"{where}: finding_labels must map slots to their values' labels")
        missing, unknown = sorted(set(declared) - set(labels)), sorted(set(labels) - set(declared))
        if missing or unknown:
            raise RulesError(f"{where}: finding_labels must name exactly the slots of findings.yaml; "
                             f"missing {missing}, unknown {unknown}")
        for slot, values in declared.items():
            given = labels[slot] if isinstance(labels[slot], dict) else {}
            want = set(values) or {"said"}
            if set(given) != want or not all(isinstance(v, str) and v.strip() for v in given.values()):
                raise RulesError(f"{where}: finding_labels.{slot} must label exactly {sorted(want)} with text; "
                                 f"has {sorted(given)}")

    def __call__(self, key: str, **values: str) -> str:
        """The template `key` with placeholders filled."""
        node: Any = self.data
        for part in key.split("."):
            node = node[part]
        return str(node).format(**values) if values else str(node)

    def cause(self, cause: str) -> str:
        """The reviewed label of a cause id."""
        return str(self.data["cause_labels"][cause])

    def finding(self, slot: str, value: str) -> list[str]:
        """The reviewed labels of a finding (a multi-value slot holds "a+b")."""
        labels = self.data["finding_labels"].get(slot) or {}
        return [str(labels[v]) for v in value.split("+") if v in labels]


def leaves(node: Any) -> list[str]:
    """Every string in a nested template structure."""
    if isinstance(node, dict):
        return [leaf for v in node.values() for leaf in leaves(v)]
    if isinstance(node, list):
        return [leaf for v in node for leaf in leaves(v)]
    return [node] if isinstance(node, str) else []
