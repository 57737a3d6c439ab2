"""kneebot: grounded, safety-first guidance for knee pain during hamstring stretches."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.ids import Cause, RedFlag, Triage
from bot.reply import Citation, Reply
from bot.version import VERSION

if TYPE_CHECKING:
    from bot.assistant import Assistant, Conversation

__all__ = ["Assistant", "Conversation", "Cause", "Citation", "RedFlag", "Reply", "Triage"]
__version__ = VERSION


def __getattr__(name: str) -> Any:
    # Lazy, so `import bot` stays cheap: torch and faiss load only when an Assistant is built.
    if name in ("Assistant", "Conversation"):
        from bot import assistant

        return getattr(assistant, name)
    raise AttributeError(name)
