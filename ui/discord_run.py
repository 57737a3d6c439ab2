"""Running the Discord bot: connect, serve until a signal, and word every failure for the operator."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import suppress
from typing import Any

import aiohttp
import discord

from ui.discord_bot import KneeBot, build_bot

log = logging.getLogger("ui.discord_bot")


async def serve(bot: KneeBot, token: str) -> None:
    """Connect and answer until SIGTERM or Ctrl-C, then close the bot and the store."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or Windows: Ctrl-C still cancels asyncio.run
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(token))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if runner in done:
                runner.result()  # a rejected token or a fatal gateway error ends the bot here
            else:
                log.info("shutting down")
                await bot.close()
                with suppress(asyncio.CancelledError):
                    await runner
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await bot.close_core()


def run_bot(assistant: Any, token: str, **options: Any) -> None:
    """Serve the assistant on Discord until stopped; raises discord.LoginFailure for a rejected token."""
    asyncio.run(serve(build_bot(assistant, **options), token))


def main(assistant: Any, token: str | None) -> int:
    """What `kneebot discord` runs: serve until stopped and return an exit code, worded errors on stderr."""
    token = (token or "").strip()
    if not token:
        print("kneebot discord: no bot token. Set DISCORD_TOKEN to the token from the Bot page of your "
              "application in the Discord Developer Portal (see docs/discord.md).", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        discord.utils.setup_logging(level=logging.INFO)
    try:
        run_bot(assistant, token)
    except discord.LoginFailure:
        print("kneebot discord: Discord rejected the bot token in DISCORD_TOKEN. Copy a fresh one from "
              "Bot > Reset Token in the Discord Developer Portal (see docs/discord.md).", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("kneebot discord: Discord refused the Message Content intent. Turn on 'Message Content Intent' "
              "on the Bot page of the Developer Portal (see docs/discord.md).", file=sys.stderr)
        return 1
    except (TimeoutError, OSError, aiohttp.ClientError) as exc:
        print(f"kneebot discord: could not reach Discord ({type(exc).__name__}: {exc}). Check the network "
              "connection and try again.", file=sys.stderr)
        return 1
    except discord.DiscordException as exc:
        print(f"kneebot discord: the connection to Discord failed ({type(exc).__name__}: {exc}).",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        with suppress(Exception):
            assistant.store.close()
    return 0
