"""How one turn's red-flag scan changes a conversation: flags recorded, a flag's question answered, or
one flag to confirm. Every decision goes to the audit log."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.answers import Answer
from bot.ids import RedFlag
from bot.safety.rules import Decision, RuleSet, ScanResult
from bot.state import DialogueState, PendingKind
from bot.store.base import AuditEntry

Audit = Callable[..., AuditEntry]  # (flag, span, modifiers, decision[, matched]) -> entry


@dataclass
class ScanOutcome:
    """What the scan changed: newly recorded flags, one flag to ask about, and the audit entries."""

    recorded: list[RedFlag] = field(default_factory=list)
    confirm: RedFlag | None = None
    audit: list[AuditEntry] = field(default_factory=list)


def apply_scan(s: DialogueState, scan: ScanResult, answer: Answer, rules: RuleSet, audit: Audit) -> ScanOutcome:
    """Record clear red flags in `s`; read the answer to a pending flag's own question."""
    s.timeline = scan.timeline.to_dict()
    pending = RedFlag(s.pending_arg or "") if s.pending_kind is PendingKind.CONFIRM else None
    out = ScanOutcome()
    if pending is not None:
        if answer.counts_as_yes:
            if s.record_flag(pending, rules.rule(pending).triage):
                out.recorded.append(pending)
            out.audit.append(audit(pending, None, (), "recorded_on_confirmation"))
            s.pending = None
        elif answer is Answer.NO:
            s.denied_flags.append(str(pending))
            out.audit.append(audit(pending, None, (), "denied_on_confirmation"))
            s.pending = None
    for d in scan.detections:
        flag = RedFlag(d.rule)
        if flag == pending and answer.counts_as_yes:
            continue  # recorded above, as the answer to its own question
        out.audit.append(audit(flag, d.span, tuple(sorted(d.modifiers)), str(d.decision), d.matched))
        if d.decision is Decision.RECORD:
            if s.record_flag(flag, rules.rule(flag).triage) and flag not in out.recorded:
                out.recorded.append(flag)
        elif (flag not in s.red_flags and str(flag) not in s.denied_flags and out.confirm is None
              and flag != pending):
            out.confirm = flag
    if out.recorded and s.pending_kind in (PendingKind.SCREEN, PendingKind.SCREEN_WHICH):
        s.screened = True
        s.pending = None
    return out
