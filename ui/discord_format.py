"""Turn a `Reply` into Discord messages: pure, so it is tested without a connection.

Discord caps a message at 2,000 characters. The core writes one paragraph per line and quotes
each cited passage as a run of "> " lines ending with its section and source, so text is packed
line by line and a quoted passage is one block that is never cut (only a passage longer than a
whole message is, between its lines). A raised triage puts a separate embed first whose title
says what to do, on every reply while it stays raised.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import discord

from bot.ids import Triage
from bot.reply import Citation, Reply
from bot.templates import Templates

MESSAGE_LIMIT = 2000
EMBED_TITLE_LIMIT = 256

# The channel's own wording lives with the reviewed templates (bot/data/templates.yaml, "channels.discord").
_TEXT = Templates.load()
# Used only when the core leaves `escalation` empty at a high triage: a miss is worse than a repeat.
FALLBACK_ESCALATION = {level: _TEXT(f"escalate_banner.{level}") for level in (Triage.EMERGENCY, Triage.SEEK_CARE)}
TRIAGE_LABELS = {level: _TEXT(f"channels.discord.triage_labels.{level}") for level in Triage}
TRIAGE_COLOURS = {
    Triage.EMERGENCY: discord.Colour.dark_red(),
    Triage.SEEK_CARE: discord.Colour.red(),
    Triage.BOOK_ASSESSMENT: discord.Colour.orange(),
    Triage.SELF_CARE: discord.Colour.blurple(),
}
WARNING_SIGNS = _TEXT("channels.discord.warning_signs") + " "

# The channel's own notices (the core writes every reply about symptoms).
GREETING = _TEXT("channels.discord.greeting")
ABOUT = _TEXT("channels.discord.about")
THROTTLED = _TEXT("throttled")
THREAD_NAME = _TEXT("channels.discord.thread_name")  # neutral: nobody's name on a health conversation
THREAD_OPENED = _TEXT("channels.discord.thread_opened")
NO_THREAD_PERMISSION = _TEXT("channels.discord.no_thread_permission")
NO_THREAD_KIND = _TEXT("channels.discord.no_thread_kind")
THREAD_FAILED = _TEXT("channels.discord.thread_failed")
MOVED_TO_DM = _TEXT("channels.discord.moved_to_dm")
BYSTANDER_DM = _TEXT("channels.discord.bystander_dm")
BYSTANDER_NO_DM = _TEXT("channels.discord.bystander_no_dm")
FAILED = _TEXT("channels.discord.failed")
FORGOTTEN_ALL = _TEXT("channels.discord.forgotten_all")
FORGOTTEN_NONE = _TEXT("channels.discord.forgotten_none")
EARLIER_CARE = _TEXT("start_over_care")  # what /reset says too: earlier advice to get checked stands


@dataclass(frozen=True)
class Outgoing:
    """One Discord message to send: text, an embed, or both."""

    content: str | None = None
    embed: discord.Embed | None = None


@dataclass(frozen=True)
class Block:
    """A unit of text that moves between messages whole; `sep` is what preceded it."""

    text: str
    sep: str = "\n"
    quote: bool = False


def flag_label(flag: str) -> str:
    """Plain words for a red-flag id when no reviewed label is given."""
    return flag.replace("_", " ")


def escalation_title(reply: Reply) -> str | None:
    """What the person should do, when the reply's triage calls for it; None otherwise."""
    title = reply.escalation or FALLBACK_ESCALATION.get(Triage(reply.triage))
    if not title:
        return None
    title = "⚠️ " + " ".join(title.split())
    return title if len(title) <= EMBED_TITLE_LIMIT else title[: EMBED_TITLE_LIMIT - 1] + "…"


def escalation_embed(reply: Reply, labels: Callable[[str], str] = flag_label) -> discord.Embed | None:
    """A prominent embed whose title says what to do, or None when no escalation applies."""
    title = escalation_title(reply)
    if title is None:
        return None
    triage = Triage(reply.triage)
    embed = discord.Embed(title=title, colour=TRIAGE_COLOURS[triage])
    if reply.red_flags:
        embed.description = WARNING_SIGNS + "; ".join(labels(flag) for flag in reply.red_flags) + "."
    embed.set_footer(text=f"Urgency: {TRIAGE_LABELS[triage]} · guidance, not a diagnosis")
    return embed


def embed_as_text(embed: discord.Embed) -> str:
    """An embed as bold text, for channels where the bot may not embed links (embeds would not show)."""
    parts = [f"**{embed.title}**"] if embed.title else []
    if embed.description:
        parts.append(embed.description)
    return "\n".join(parts)


def _unquote(line: str) -> str:
    return re.sub(r"^>\s?", "", line).strip()


def blocks(text: str, citations: Iterable[Citation] = ()) -> list[Block]:
    """The reply text as blocks: each line a paragraph, each quoted passage one block."""
    starts = {c.text.strip().split("\n", 1)[0].strip() for c in citations if c.text.strip()}
    out: list[Block] = []
    sep = ""
    for line in text.split("\n"):
        if not line.strip():
            sep += "\n"
            continue
        quoted = line.startswith(">")
        sep = sep + "\n" if out else ""
        if quoted and out and out[-1].quote and sep == "\n" and _unquote(line) not in starts:
            last = out.pop()
            out.append(Block(last.text + "\n" + line, last.sep, quote=True))
        else:
            out.append(Block(line, sep, quote=quoted))
        sep = ""
    return out


def _hard_split(text: str, limit: int, *, quote: bool = False) -> list[str]:
    """Cut an over-long block at the last line break, sentence end or space before the limit."""
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = -1
        for pattern in (r"\n", r"(?<=[.!?;:])\s", r"\s"):
            ends = [m.end() for m in re.finditer(pattern, window)]
            if ends and ends[-1] > limit // 4:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
        if quote and not text.startswith(">"):
            text = "> " + text  # a passage continued in the next message stays a quote
    if text:
        pieces.append(text)
    return pieces


def pack(parts: Iterable[Block], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack blocks into messages of at most `limit` characters, breaking only between blocks."""
    messages: list[str] = []
    current = ""
    for block in parts:
        pieces = [block.text]
        if len(block.text) > limit:
            pieces = _hard_split(block.text, limit, quote=block.quote)
        for n, piece in enumerate(pieces):
            sep = block.sep if n == 0 else "\n"
            if current and len(current) + len(sep) + len(piece) <= limit:
                current += sep + piece
            else:
                if current:
                    messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def format_reply(reply: Reply, *, limit: int = MESSAGE_LIMIT,
                 labels: Callable[[str], str] = flag_label) -> list[Outgoing]:
    """The messages that show one reply on Discord, in order: the escalation embed, then the text."""
    out: list[Outgoing] = []
    embed = escalation_embed(reply, labels)
    if embed is not None:
        out.append(Outgoing(embed=embed))
    out.extend(Outgoing(content=m) for m in pack(blocks(reply.text, reply.citations), limit))
    return out


def notice(text: str) -> list[Outgoing]:
    """A short channel notice (help, throttling, errors) as messages."""
    return [Outgoing(content=m) for m in pack(blocks(text))]


def send_kwargs(item: Outgoing, embeds: bool = True) -> dict[str, Any]:
    """Keyword arguments for send; without Embed Links an escalation still shows, as bold text."""
    payload: dict[str, Any] = {}
    if item.embed is not None and not embeds:
        return {"content": "\n\n".join(filter(None, [embed_as_text(item.embed), item.content]))}
    if item.content is not None:
        payload["content"] = item.content
    if item.embed is not None:
        payload["embed"] = item.embed
    return payload
