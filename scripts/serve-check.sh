#!/usr/bin/env bash
# The serve-only install: a wheel installed without the `index` extra (no torch, no sentence-transformers)
# answers a conversation from an index that the full install built, with its packaged default corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

HF_HUB_OFFLINE=1 .venv/bin/kneebot --index "$work/index" index >/dev/null
.venv/bin/pip wheel -q --no-deps -w "$work/dist" .
rm -rf build
"$PY" -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/dist/kneebot-*.whl
if "$work/venv/bin/python" -c "import torch" 2>/dev/null \
   || "$work/venv/bin/python" -c "import sentence_transformers" 2>/dev/null; then
  echo "serve-check: torch or sentence-transformers is in the serve-only install" >&2
  exit 1
fi

cd "$work"  # away from the source tree: the installed package and its packaged corpus
export KNEEBOT_INDEX="$work/index" KNEEBOT_DB="$work/state/kneebot.sqlite3"
printf 'I feel a pull behind my knee when I stretch\nno\nwhat is a Baker'"'"'s cyst?\nquit\n' \
  | "$work/venv/bin/kneebot" chat > "$work/chat.txt"
grep -qi "baker" "$work/chat.txt" || { echo "serve-check: no passage about Baker's cyst in the chat" >&2; cat "$work/chat.txt" >&2; exit 1; }
# Building needs the index extra: the serve-only install says so instead of failing obscurely.
if "$work/venv/bin/kneebot" --index "$work/other-index" index 2> "$work/index.err"; then
  echo "serve-check: kneebot index ran without torch" >&2; exit 1
fi
grep -q "pip install 'kneebot\[index\]'" "$work/index.err" \
  || { echo "serve-check: kneebot index did not say what to install:" >&2; cat "$work/index.err" >&2; exit 1; }
"$work/venv/bin/python" - "$ROOT" <<'PY'
import sys
from pathlib import Path

import bot
from bot import Assistant

assert not Path(bot.__file__).resolve().is_relative_to(Path(sys.argv[1])), bot.__file__
assistant = Assistant.load()
assert assistant.settings.corpus_dir.parts[-3:] == ("share", "kneebot", "corpus"), assistant.settings.corpus_dir
chat = assistant.conversation()
first = chat.send("I feel a pull behind my knee when I stretch")
flagged = assistant.conversation().send("my knee gave way and I can't put weight on it")
assert first.text and "knee_instability" in flagged.red_flags, (first.text, flagged.red_flags)
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
assert not heavy, heavy
print(f"serve-check: the serve-only install answered ({first.kind}, then {flagged.triage}) without torch")
PY
