import subprocess
import sys


def test_import_bot_loads_no_channel_or_model_library():
    code = ("import sys, bot; from bot import Reply, Triage; "
            "print(','.join(m for m in ('gradio', 'discord', 'torch', 'faiss') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_core_never_talks_to_the_person_directly():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "bot"
    offenders = [p.relative_to(root).as_posix() for p in root.rglob("*.py") if p != root / "cli.py"
                 and any(w in p.read_text() for w in ("print(", "input(", "import gradio", "import discord"))]
    assert offenders == []
