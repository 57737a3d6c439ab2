"""The slash commands: /knee, /reset, /forget and /about, and the tree's error handler.

Each command that reaches the core defers first (Discord wants an answer within 3 s) and answers
privately in servers. Whatever fails after that (the store, the core, Discord) is answered through
`CommandTree.on_error`, so no command is left "thinking…".
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import discord
from discord import app_commands

from ui import discord_delivery as deliver
from ui import discord_format as fmt
from ui.discord_format import notice
from ui.discord_turns import CHANNEL, Closing, Turns, dm_key, thread_key
from ui.throttle import Throttle

log = logging.getLogger("ui.discord_bot")

# The SPEC's own phrase, so /reset behaves exactly as typing it does.
START_OVER = "start over"


class Commands:
    """The bot's slash commands, registered on its command tree."""

    def __init__(self, tree: app_commands.CommandTree, turns: Turns, throttle: Callable[[], Throttle],
                 retention_days: int) -> None:
        self.tree, self.turns, self.throttle = tree, turns, throttle
        self.retention_days = retention_days
        tree.on_error = self.on_error  # type: ignore[method-assign]
        self._register()

    def _register(self) -> None:
        @self.tree.command(name="knee", description="Start or continue your private kneebot conversation")
        @app_commands.describe(message="What you feel, or your answer to my last question")
        async def knee(interaction: discord.Interaction, message: str) -> None:
            await self.knee(interaction, message)

        @self.tree.command(name="reset", description="Start a new conversation")
        async def reset(interaction: discord.Interaction) -> None:
            await self.reset(interaction)

        @self.tree.command(name="forget", description="Delete everything kneebot stored about you")
        async def forget(interaction: discord.Interaction) -> None:
            await self.forget(interaction)

        @self.tree.command(name="about", description="What kneebot is, how to use it, what it stores")
        async def about(interaction: discord.Interaction) -> None:
            await self.about(interaction)

    async def knee(self, interaction: discord.Interaction, message: str) -> None:
        """/knee: a turn of the person's private conversation, ephemeral in servers."""
        ephemeral = interaction.guild is not None
        wait = self.throttle().take(interaction.user.id)
        if wait and not await self.turns.core(self.turns.sessions.mentions_red_flag, message):
            await interaction.response.send_message(fmt.THROTTLED.format(seconds=max(1, round(wait))),
                                                    ephemeral=True)
            return
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        key = dm_key(interaction.user.id)
        async with self.turns.holding(key):
            out = await self.turns.converse(key, message)
            await deliver.followup(interaction, out, ephemeral)

    async def key_for(self, interaction: discord.Interaction) -> str:
        """The thread's conversation when the person holds one in this thread, else their private one."""
        channel = interaction.channel
        if isinstance(channel, discord.Thread):
            key = thread_key(channel.id, interaction.user.id)
            if await self.turns.core(self.turns.sessions.bound, CHANNEL, key) is not None:
                return key
        return dm_key(interaction.user.id)

    async def reset(self, interaction: discord.Interaction) -> None:
        """/reset: start over, as the core does for "start over" (earlier advice to get checked stands)."""
        ephemeral = interaction.guild is not None
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        key = await self.key_for(interaction)
        async with self.turns.holding(key):
            out = await self.turns.converse(key, START_OVER)
            await deliver.followup(interaction, out, ephemeral)

    async def forget(self, interaction: discord.Interaction) -> None:
        """/forget: delete every conversation the person holds on Discord (DMs and threads) and its
        binding, and say so."""
        ephemeral = interaction.guild is not None
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        user = interaction.user.id
        async with self.turns.holding(dm_key(user)):
            count = await self.turns.core(self.turns.forget_person, user)
        text = fmt.FORGOTTEN_ALL.format(count=count) if count else fmt.FORGOTTEN_NONE
        await deliver.followup(interaction, notice(text), ephemeral)

    async def about(self, interaction: discord.Interaction) -> None:
        """/about: what kneebot is, how to use it and what it stores."""
        embed = discord.Embed(title="About kneebot", description=fmt.ABOUT.format(days=self.retention_days),
                              colour=discord.Colour.blurple())
        await interaction.response.send_message(embed=embed, ephemeral=interaction.guild is not None)

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Any failure in a command: logged, and answered, so the command never stays "thinking…"."""
        name = getattr(interaction.command, "name", "?")
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, Closing):
            log.info("/%s arrived while shutting down", name)
        else:
            log.error("/%s failed", name, exc_info=cause)
        await deliver.answer(interaction, fmt.FAILED)
