"""The `kneebot` command: the only place in bot/ that talks to a terminal."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import KneebotError
from bot.reply import Citation

EPILOG = """environment: KNEEBOT_CORPUS, KNEEBOT_INDEX, KNEEBOT_DB, KNEEBOT_MODEL, KNEEBOT_TRANSCRIPTS,
KNEEBOT_RETENTION_DAYS, KNEEBOT_MAX_MESSAGE_CHARS, KNEEBOT_HOST, KNEEBOT_PORT, KNEEBOT_ROOT_PATH,
KNEEBOT_AUTH (user:password), KNEEBOT_WEB_SECRET, DISCORD_TOKEN. kneebot offers guidance, not a diagnosis."""


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    for attr in ("corpus_dir", "index_dir", "db_path", "model_dir"):
        value = getattr(args, attr, None)
        if value is not None:
            path = value if attr == "db_path" and "://" in value else Path(value)  # a URL stays a URL
            settings = replace(settings, **{attr: path})  # type: ignore[arg-type]
    return settings


def _progress() -> Any:
    """A tqdm progress callback when stdout is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc="embedding passages and sentences", unit="text")
        bar["bar"].n = done
        bar["bar"].refresh()
        if done >= total:
            bar.pop("bar").close()

    return update


def _assistant(args: argparse.Namespace) -> Any:
    from bot.assistant import Assistant

    return Assistant.load(settings=_settings(args), progress=_progress())


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat in the terminal."""
    from ui.terminal import run_terminal

    return run_terminal(_assistant(args))


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the web page."""
    from bot.retention import start_retention
    from ui.web import build_app, launch

    assistant = _assistant(args)
    auth = args.auth or os.environ.get("KNEEBOT_AUTH")
    secret = os.environ.get("KNEEBOT_WEB_SECRET")  # the same on every worker behind one address
    start_retention(assistant.store, assistant.settings.retention_days)
    app = build_app(assistant, storage_secret=secret) if secret else build_app(assistant)
    launch(app, host=args.host or os.environ.get("KNEEBOT_HOST", "127.0.0.1"),
           port=int(args.port or os.environ.get("KNEEBOT_PORT", "7860")),
           root_path=args.root_path or os.environ.get("KNEEBOT_ROOT_PATH"),
           auth=tuple(auth.split(":", 1)) if auth else None, share=args.share)
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete conversations idle past the retention period, with their bindings and audit entries."""
    from bot.store import open_store

    settings = _settings(args)
    days = settings.retention_days if args.days is None else args.days
    store = open_store(settings.db_path, transcripts=settings.transcripts)
    try:
        purged = store.purge(days)
    finally:
        store.close()
    print(f"purged {purged} conversation{'s' if purged != 1 else ''} idle for more than {days:g} days")
    return 0


def cmd_discord(args: argparse.Namespace) -> int:
    """Run the Discord bot."""
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        print("kneebot: DISCORD_TOKEN is not set; create a bot token in the Discord Developer Portal "
              "(see docs/discord.md) and export it.", file=sys.stderr)
        return 2
    from ui.discord_run import main as discord_main

    return int(discord_main(_assistant(args), token, shards=os.environ.get("KNEEBOT_DISCORD_SHARDS"),
                            threads=os.environ.get("KNEEBOT_DISCORD_THREADS")))


def cmd_index(args: argparse.Namespace) -> int:
    """Build index/ from corpus/."""
    import time

    from bot.guidance.embedding import load_embedder
    from bot.guidance.index import build_index

    settings = _settings(args)
    embedder = load_embedder(settings.model_dir)
    started = time.perf_counter()
    index = build_index(settings.corpus_dir, settings.index_dir, embedder, progress=_progress())
    print(f"indexed {len(index.chunks)} chunks from {settings.corpus_dir} into {settings.index_dir} "
          f"in {time.perf_counter() - started:.2f} s")
    from bot.guidance.questions import MIN_QUESTIONS, QUESTIONS_DIR, thin_passages

    for chunk in thin_passages(index.chunks):
        print(f"warning: passage {chunk.text[:40]!r}... of {chunk.source} has {len(chunk.questions)} questions "
              f"(at least {MIN_QUESTIONS} in {settings.corpus_dir / QUESTIONS_DIR / (chunk.source + '.yaml')})",
              file=sys.stderr)
    if settings.model_dir is None:  # the query-time model: the bundled one and the red-flag layer on ONNX
        from bot.guidance.export import ensure_export

        exported = ensure_export(settings.index_dir, st_model=embedder.model)  # type: ignore[attr-defined]
        print("model export: " + ("current" if exported is None else f"written, checked on {exported['check']}"))
    return 0


def format_passages(citations: list[Citation]) -> str:
    """Passages for `kneebot ask`: rank, section, score, which retrievers found it, then the text."""
    if not citations:
        return "Nothing in the guidance answers this."
    blocks = []
    for rank, c in enumerate(citations, 1):
        score = "-" if c.score is None else f"{c.score:.3f}"
        found = "+".join(c.found_by) or "-"
        blocks.append(f"[{rank}] {c.section} ({c.source})  score {score}  found by {found}\n    {c.text}")
    return "\n\n".join(blocks)


def cmd_ask(args: argparse.Namespace) -> int:
    """Print the passages retrieval returns for a question."""
    print(format_passages(_assistant(args).retriever.search(args.question, k=args.k)))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Run test dialogues; non-zero exit when any fails."""
    from bot.eval.blindflags import blind_figures
    from bot.eval.dialogues import collect, run
    from bot.eval.retrieval import evaluate, format_table, load_queries
    from bot.eval.summary import format_report, to_json

    dialogues = collect(args.paths)
    if not dialogues:
        print("kneebot: no dialogues found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    queries = load_queries(Path(args.queries)) if args.queries else None
    assistant = _assistant(args)
    results = run(dialogues, assistant.conversation)
    retrieval = evaluate(assistant.retriever, queries) if queries else None
    print(format_report(results))
    blind = blind_figures(assistant.detector, args.blind, args.tables) if args.blind else None
    for figures in blind or []:
        print("\n" + figures["text"])
    if retrieval:
        print("\nretrieval (" + args.queries + ")\n" + format_table(retrieval))
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(results, retrieval), indent=2), encoding="utf-8")
    if args.html:
        from bot.eval.report import render_html

        Path(args.html).write_text(render_html(results, retrieval, blind), encoding="utf-8")
        print(f"report written to {args.html}")
    return 0 if all(r.passed for r in results) else 1


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    """Recall@k and MRR of the dense, BM25 and hybrid retrievers on labelled queries."""
    from bot.eval.retrieval import evaluate, format_table, load_queries

    queries = load_queries(Path(args.file))
    results = evaluate(_assistant(args).retriever, queries)
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


def cmd_eval_red_flags(args: argparse.Namespace) -> int:
    """Red-flag figures on blind-written message sets: rules alone and rules with the learned layer."""
    from bot.safety.blindsets import format_counts, load_sets, measure
    from bot.safety.detector import RedFlagDetector
    from bot.safety.layer import LearnedLayer
    from bot.safety.rules import RuleSet

    messages = load_sets(args.paths)
    if not messages:
        print("kneebot: no messages found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    rules = RuleSet.load()
    runs = {"rules alone": RedFlagDetector(rules, None)}
    if not args.rules_only:
        runs["rules + learned layer"] = RedFlagDetector(rules, LearnedLayer.load(rules_version=rules.spec_version))
    out = {}
    for name, detector in runs.items():
        counts = measure(messages, detector.scan)
        out[name] = counts.summary()
        print(format_counts(f"{name} ({', '.join(args.paths)})", counts) + "\n")
        if args.show:
            for text, flag in counts.misses:
                print(f"  MISS {flag}: {text}")
            for text, flags in counts.alarms:
                print(f"  ALARM {flags}: {text}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


def cmd_train_red_flags(args: argparse.Namespace) -> int:
    """Retrain the learned red-flag layer from the blind-written training sets."""
    from bot.safety.layer import DEFAULT_DIR
    from bot.safety.training import rechoose_thresholds, train

    if args.thresholds_only:
        layer_dir = Path(args.out) if args.out else DEFAULT_DIR
        if not (layer_dir / "manifest.json").is_file():
            print(f"kneebot: {layer_dir} holds no trained layer (no manifest.json); --thresholds-only re-chooses the "
                  f"thresholds of one already trained: copy {DEFAULT_DIR} there, or run without it to train",
                  file=sys.stderr)
            return 2
        rechoose_thresholds(layer_dir)
        return 0
    train(Path(args.out) if args.out else DEFAULT_DIR,
          [Path(p) for p in args.train] if args.train else None, epochs=args.epochs, top_layers=args.top_layers,
          device=args.device, base_dir=Path(args.base_model) if args.base_model else None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `kneebot`."""
    parser = argparse.ArgumentParser(prog="kneebot", description="Guidance chat for knee pain during "
                                     "hamstring stretches, grounded in a reviewed article.", epilog=EPILOG)
    parser.add_argument("--corpus", dest="corpus_dir", help="corpus folder (default corpus/)")
    parser.add_argument("--index", dest="index_dir", help="index folder (default index/)")
    parser.add_argument("--db", dest="db_path", help="SQLite file or postgresql:// URL "
                        "(default state/kneebot.sqlite3)")
    parser.add_argument("--model", dest="model_dir", help="sentence-transformers model folder "
                        "(default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("chat", help="terminal conversation").set_defaults(func=cmd_chat)
    web = sub.add_parser("web", help="Gradio page on http://127.0.0.1:7860")
    web.add_argument("--host", help="address to bind (default 127.0.0.1)")
    web.add_argument("--port", type=int, help="port (default 7860)")
    web.add_argument("--root-path", help="URL prefix when served behind a reverse proxy")
    web.add_argument("--auth", help="basic auth as user:password")
    web.add_argument("--share", action="store_true", help="ask Gradio for a public share link (off by default)")
    web.set_defaults(func=cmd_web)
    sub.add_parser("discord", help="Discord bot; token from DISCORD_TOKEN").set_defaults(func=cmd_discord)
    sub.add_parser("index", help="(re)build index/ from corpus/").set_defaults(func=cmd_index)
    purge = sub.add_parser("purge", help="delete conversations idle past the retention period")
    purge.add_argument("--days", type=float, help="idle for longer than this (default KNEEBOT_RETENTION_DAYS, 30)")
    purge.set_defaults(func=cmd_purge)
    ask = sub.add_parser("ask", help="the passages retrieval returns, with scores")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    ask.set_defaults(func=cmd_ask)
    ev = sub.add_parser("eval", help="run test dialogues; non-zero exit when any fails")
    ev.add_argument("paths", nargs="+", metavar="PATH", help="dialogue files or folders")
    ev.add_argument("--json", metavar="FILE", help="write machine-readable results")
    ev.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    ev.add_argument("--queries", metavar="FILE", help="labelled retrieval queries whose figures join the report")
    ev.add_argument("--blind", nargs="+", metavar="PATH", help="fresh blind-written red-flag sets whose figures join "
                    "the report, beside the project's tables")
    ev.add_argument("--tables", default="tests/red_flags", metavar="DIR", help="the project's red-flag tables "
                    "(default tests/red_flags)")
    ev.set_defaults(func=cmd_eval)
    er = sub.add_parser("eval-retrieval", help="recall@k and MRR of the retrievers on labelled queries")
    er.add_argument("file", metavar="FILE")
    er.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    er.set_defaults(func=cmd_eval_retrieval)
    rf = sub.add_parser("eval-red-flags", help="red-flag figures on blind-written message sets")
    rf.add_argument("paths", nargs="+", metavar="PATH", help="blind-set files or folders")
    rf.add_argument("--rules-only", action="store_true", help="measure the rules without the learned layer")
    rf.add_argument("--show", action="store_true", help="print each miss and false alarm")
    rf.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    rf.set_defaults(func=cmd_eval_red_flags)
    tr = sub.add_parser("train-red-flags", help="retrain the learned red-flag layer (bot/data/red_flag_layer/)")
    tr.add_argument("--train", nargs="+", metavar="PATH", help="training set files or folders (default "
                    "tests/red_flags/blind/train/)")
    tr.add_argument("--out", metavar="DIR", help="where to write weights and manifest")
    tr.add_argument("--epochs", type=int, default=4)
    tr.add_argument("--top-layers", type=int, default=3)
    tr.add_argument("--device", default="cpu", help="torch device to train on (cpu, cuda; default cpu)")
    tr.add_argument("--base-model", metavar="DIR", help="the MiniLM copy to train from (default the bundled one)")
    tr.add_argument("--thresholds-only", action="store_true", help="keep the weights; choose the thresholds "
                    "again for the rules as they are now (after a rules change)")
    tr.set_defaults(func=cmd_train_red_flags)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kneebot` console script."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except KneebotError as exc:
        print(f"kneebot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
