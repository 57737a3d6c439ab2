"""Closed sets of ids fixed by the product contract (SPEC.md)."""
from __future__ import annotations

from enum import StrEnum


class Triage(StrEnum):
    """How urgently the person should get care; ordered from least to most urgent."""

    SELF_CARE = "self_care"
    BOOK_ASSESSMENT = "book_assessment"
    SEEK_CARE = "seek_care"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """Position in the ordering, 0 for self_care."""
        return list(Triage).index(self)

    def raised_to(self, other: Triage) -> Triage:
        """The more urgent of the two: triage only ever moves up."""
        return other if other.rank > self.rank else self


class RedFlag(StrEnum):
    """Red-flag rule ids."""

    SUDDEN_SEVERE_PAIN = "sudden_severe_pain"
    CANNOT_BEAR_WEIGHT = "cannot_bear_weight"
    KNEE_INSTABILITY = "knee_instability"
    RAPID_SWELLING = "rapid_swelling"
    LOCKING_OR_CLICKING = "locking_or_clicking"
    PERSISTENT_PAIN = "persistent_pain"
    LEG_NUMBNESS_OR_WEAKNESS = "leg_numbness_or_weakness"
    CALF_CLOT_SIGNS = "calf_clot_signs"
    HOT_SWOLLEN_KNEE_FEVER = "hot_swollen_knee_fever"
    CAUDA_EQUINA_SIGNS = "cauda_equina_signs"
    CHEST_PAIN_OR_BREATHLESS = "chest_pain_or_breathless"


class Cause(StrEnum):
    """Likely-cause ids."""

    TECHNIQUE = "technique"
    HAMSTRING_TENDINOPATHY = "hamstring_tendinopathy"
    SCIATIC_NERVE_TENSION = "sciatic_nerve_tension"
    PATELLOFEMORAL_PAIN = "patellofemoral_pain"
    MENISCUS = "meniscus"
    POPLITEAL_FOSSA = "popliteal_fossa"
