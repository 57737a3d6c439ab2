"""Terminal chat: a thin loop over the session of one terminal run."""
from __future__ import annotations

import sys
import uuid
from typing import Any, TextIO

from bot.session import Sessions

CHANNEL = "terminal"


def format_reply(reply: Any) -> str:
    """The reply as terminal text, the escalation banner first while triage is raised."""
    lines = []
    if reply.escalation:
        lines.append(f"!! {reply.escalation}")
    lines.append(reply.text)
    return "\n".join(lines)


def run_terminal(assistant: Any, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Chat until end of input or "quit"; returns an exit code."""
    sessions, key = Sessions(assistant), uuid.uuid4().hex  # one run, one session
    interactive = stdin.isatty()
    print("kneebot: guidance for knee pain during hamstring stretches, not a diagnosis. "
          "Type \"quit\" to leave.", file=stdout)
    while True:
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line or line.strip().lower() in {"quit", "exit"}:
            break
        turn = sessions.send(CHANNEL, key, line.rstrip("\n"))
        print(format_reply(turn.reply) + "\n", file=stdout, flush=True)
    return 0
