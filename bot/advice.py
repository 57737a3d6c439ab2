"""What a summary advises per likely cause, as reviewed data (data/advice.yaml), checked on load."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from bot.datafile import describe_validation, read_yaml
from bot.errors import RulesError
from bot.ids import Cause

DEFAULT_PATH = Path(__file__).parent / "data" / "advice.yaml"


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cite: str | None = None
    say: str | None = None

    @model_validator(mode="after")
    def _one(self) -> _Step:
        if (self.cite is None) == (self.say is None):
            raise ValueError("a step has exactly one of 'cite' (a corpus phrase) or 'say' (a template key)")
        return self


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    also_min_score: float
    when_care: str
    screen_cite: str
    stretching_section: str
    advice: dict[str, list[_Step]]


@dataclass(frozen=True)
class Step:
    """Quote the passage holding `cite`, or say the template `say`."""

    cite: str | None
    say: str | None


@dataclass(frozen=True)
class Advice:
    """The advice steps per cause and the passages every summary and screen rests on."""

    steps: dict[str, tuple[Step, ...]]
    also_min_score: float
    when_care: str
    screen_cite: str
    stretching_section: str

    @classmethod
    def load(cls, path: Path | None = None, template_keys: set[str] | None = None) -> Advice:
        """Load and validate; errors name the file and the key. `template_keys` checks `say` steps."""
        path = path or DEFAULT_PATH
        data = read_yaml(path, "advice")
        try:
            spec = _Spec.model_validate(data)
        except ValidationError as exc:
            raise RulesError(f"{path}: {describe_validation(exc)}") from None
        causes = {str(c) for c in Cause}
        unknown = sorted(set(spec.advice) - causes - {"default"})
        if unknown or "default" not in spec.advice:
            raise RulesError(f"{path}: advice: needs 'default' and only cause ids of SPEC.md; unknown {unknown}")
        for cause, steps in spec.advice.items():
            for i, step in enumerate(steps):
                if step.say is not None and template_keys is not None and step.say not in template_keys:
                    raise RulesError(f"{path}: advice.{cause}[{i}].say: no template {step.say!r}")
        return cls({k: tuple(Step(s.cite, s.say) for s in v) for k, v in spec.advice.items()},
                   spec.also_min_score, spec.when_care, spec.screen_cite, spec.stretching_section)

    def for_cause(self, cause: str | None) -> tuple[Step, ...]:
        """The steps for a cause (the default ones when it has none of its own)."""
        return self.steps.get(cause or "", self.steps["default"])
