"""A reply under a quoted question ("> Any swelling behind the knee?\\nyes, within the hour"): Discord and forum
replies quote what they answer. The quote is not the person's report: the rules look for signs in the reply only
(the quote may still tell them a place or the changed stretching it names), the learned layer reads the reply alone,
and a yes under a quoted question answers the flag it asks about, as an answer to kneebot's own question does."""
from __future__ import annotations

import re

_QUOTE = re.compile(r"\A(?:[ \t]*>[^\n]*(?:\n|\Z))+(?=\s*\S)")


def quote_end(text: str) -> int:
    """Where a leading quote with a reply under it ends (0 when the message has none)."""
    m = _QUOTE.match(text)
    return m.end() if m else 0


def unquoted(text: str) -> str:
    """`text` with a leading quote blanked out: the same length, so that spans found in it still point into `text`."""
    end = quote_end(text)
    return " " * end + text[end:] if end else text
