"""Getting replies to the person: in order, and never lost to a channel that refuses them.

A thread can be locked or archived, a permission can be missing, Discord can answer 5xx (discord.py
has already retried those): whatever stops a message, the rest of the reply goes to the person's
direct messages, with a note saying why, rather than stopping half-sent.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import discord

from ui import discord_format as fmt
from ui.discord_format import Outgoing, notice

log = logging.getLogger("ui.discord_bot")


def _where(channel: Any) -> str:
    return str(getattr(channel, "id", "?"))


def _why(exc: discord.HTTPException) -> str:
    return f"HTTP {exc.status}, code {exc.code}"


def can_embed(channel: Any) -> bool:
    """Whether the bot may embed links in the channel (DMs: always)."""
    guild = getattr(channel, "guild", None)
    if guild is None or guild.me is None:
        return True
    try:
        return bool(channel.permissions_for(guild.me).embed_links)
    except (AttributeError, discord.ClientException):
        return True


async def send(channel: discord.abc.Messageable, out: Sequence[Outgoing], *,
               person: discord.User | discord.Member | None = None) -> bool:
    """Send the messages in order; when one fails, the rest go to `person`'s DMs. True when all arrived."""
    embeds = can_embed(channel)
    for n, item in enumerate(out):
        try:
            await channel.send(**fmt.send_kwargs(item, embeds))
        except discord.HTTPException as exc:
            log.warning("could not send in channel %s (%s)", _where(channel), _why(exc))
            if person is None or isinstance(channel, discord.DMChannel):
                return False
            return await send_dm(person, [*notice(fmt.MOVED_TO_DM), *out[n:]])
    return True


async def send_dm(person: discord.User | discord.Member, out: Sequence[Outgoing]) -> bool:
    """Send the messages to the person's DMs; False when they cannot be reached there."""
    try:
        channel = person.dm_channel or await person.create_dm()
    except discord.HTTPException as exc:
        log.warning("could not open a DM with user %s (%s)", person.id, _why(exc))
        return False
    return await send(channel, out)


async def followup(interaction: discord.Interaction, out: Sequence[Outgoing], ephemeral: bool) -> bool:
    """Answer a deferred slash command with the messages; False when Discord refused one."""
    permissions = interaction.app_permissions
    embeds = interaction.guild is None or permissions.embed_links
    try:
        for item in out:
            await interaction.followup.send(**fmt.send_kwargs(item, embeds), ephemeral=ephemeral)
    except discord.HTTPException as exc:
        log.warning("could not answer /%s (%s)", getattr(interaction.command, "name", "?"), _why(exc))
        return False
    return True


async def answer(interaction: discord.Interaction, text: str) -> None:
    """A short private notice for a slash command, whether or not it was already acknowledged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not answer /%s (%s)", getattr(interaction.command, "name", "?"), _why(exc))


@asynccontextmanager
async def typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show "kneebot is typing…" while the core works; a failure to show it never stops the answer."""
    indicator = channel.typing()
    try:
        await indicator.__aenter__()
    except (discord.HTTPException, AttributeError, RuntimeError):
        log.debug("no typing indicator in channel %s", _where(channel))
        yield
        return
    try:
        yield
    finally:
        try:
            await indicator.__aexit__(None, None, None)
        except (discord.HTTPException, RuntimeError):
            pass
